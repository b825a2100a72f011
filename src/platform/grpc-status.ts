/** The gRPC status codes Steadfast tells apart in the Temporal API's errors (`err.code`). */
export const GRPC_STATUS = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  UNAVAILABLE: 14,
} as const;

/** The gRPC status code of an error from the Temporal API, if it has one. */
export function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number } | null)?.code;
}
