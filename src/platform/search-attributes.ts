/**
 * Registering Steadfast's custom search attributes (`workflows/search-attributes.ts`) on a
 * namespace. Workflows upsert them when they meet a fault, and a server that does not know them
 * fails that workflow task, so every server Steadfast starts registers them (the dev server at
 * start, the time-skipping server right after), and `steadfast worker` registers them on an
 * external server when the credentials allow it.
 */
import { type SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType, type SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import type { temporal } from '@temporalio/proto';
import { STEADFAST_SEARCH_ATTRIBUTES } from '../common/search-attributes';

/** gRPC status ALREADY_EXISTS: another process registered the attribute first. */
const ALREADY_EXISTS = 6;

/** Anything with the operator service: a client `Connection` or a worker's `NativeConnection`. */
export interface HasOperatorService {
  operatorService: temporal.api.operatorservice.v1.OperatorService;
}

/** The `temporal` CLI command that registers `keys`, for error messages and docs. */
export function registerCommand(namespace: string, keys: SearchAttributeKey<SearchAttributeType>[]): string {
  return (
    `temporal operator search-attribute create --namespace ${namespace} ` +
    keys.map((k) => `--name ${k.name} --type ${TypedSearchAttributes.toMetadataType(k.type)}`).join(' ')
  );
}

/**
 * Registers the attributes that `namespace` lacks. Returns the names it added (none when all were
 * there). Throws an error naming the missing attributes and the command that registers them when
 * the server refuses (e.g. no operator permission).
 */
export async function ensureSearchAttributes(
  connection: HasOperatorService,
  namespace: string,
  keys: SearchAttributeKey<SearchAttributeType>[] = STEADFAST_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  let known: Record<string, unknown> = {};
  try {
    known = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch {
    // Some servers (the time-skipping one) cannot list; adding is idempotent enough to just try.
  }
  const missing = keys.filter((k) => !(k.name in known));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!])),
    });
  } catch (err) {
    if ((err as { code?: number }).code === ALREADY_EXISTS) return [];
    throw new Error(
      `namespace "${namespace}" lacks the search attributes ${missing.map((k) => k.name).join(', ')} that Steadfast's ` +
        `workflows set, and registering them failed: ${(err as Error).message}. Register them once with:\n  ${registerCommand(namespace, missing)}`,
      { cause: err },
    );
  }
  return missing.map((k) => k.name);
}
