/**
 * The CLI's errors and exit codes (a contract, see docs/ARCHITECTURE.md):
 * 0 success, 1 a failed or unsatisfied operation, 2 bad usage or input.
 *
 * Every error names what was wrong (`field`: an argument, an option, a JSON field, a variable)
 * and what was expected, so the message says what to fix.
 */
import type { z } from 'zod';

/** Exit codes of the `steadfast` CLI. */
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed: a run failed, a server is unreachable, nothing to reset to. */
  failed: 1,
  /** Bad usage or input: unknown command, missing argument, malformed JSON, schema violation, unknown id. */
  usage: 2,
} as const;
/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What went wrong, as `--json` prints it under `error`. */
export interface ErrorReport {
  /** Stable code, e.g. `invalid-input`, `unknown-workflow-type`, `server-unreachable`. */
  code: string;
  message: string;
  /** The argument, option, JSON path or variable at fault. */
  field?: string;
  /** What was expected there. */
  expected?: string;
  /** For schema violations: one entry per offending field. */
  issues?: { field: string; message: string }[];
}

/** An error the CLI reports and exits with; anything else is a bug and exits 1 with its stack. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    readonly report: ErrorReport,
    options?: { cause?: unknown },
  ) {
    super(report.message, options);
  }
}

/** Bad usage or input: exit 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(report: Omit<ErrorReport, 'code'> & { code?: string }, options?: { cause?: unknown }) {
    super(ExitCode.usage, { code: 'invalid-input', ...report }, options);
  }
}

/** A failed operation: exit 1. */
export class OperationError extends CliError {
  override readonly name = 'OperationError';
  constructor(report: Omit<ErrorReport, 'code'> & { code?: string }, options?: { cause?: unknown }) {
    super(ExitCode.failed, { code: 'operation-failed', ...report }, options);
  }
}

/** `--input` + path `["meds", 0, "dose"]` → `--input.meds[0].dose`. */
function fieldName(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key) => (typeof key === 'number' ? `${name}[${key}]` : `${name}.${String(key)}`),
    root,
  );
}

/** A zod failure as a {@link UsageError} that names each offending field. */
export function schemaError(root: string, error: z.ZodError, what: string): UsageError {
  const issues = error.issues.map((issue) => ({ field: fieldName(root, issue.path), message: issue.message }));
  const lines = issues.map((i) => `  ${i.field}: ${i.message}`).join('\n');
  return new UsageError({
    code: 'schema-violation',
    message: `${root} does not match ${what}:\n${lines}`,
    field: issues[0]?.field ?? root,
    expected: issues[0]?.message,
    issues,
  });
}
