/**
 * What a CLI command hands back: its exit code, its `--json` document and its text for people.
 */
import { ExitCode } from '../cli-errors';

/** The outcome of one command. */
export interface CommandOutput {
  /** An {@link ExitCode}, or 130 when the demo was interrupted. */
  exitCode: ExitCode | 130;
  /** Printed (pretty) on stdout with `--json`. */
  json: unknown;
  /** Print `json` on one line: long-running commands emit JSON Lines (one event per line). */
  compact?: boolean;
  /** Printed on stdout otherwise. */
  text: string;
}

/** A successful command's output. */
export function ok(json: unknown, text: string): CommandOutput {
  return { exitCode: ExitCode.ok, json, text };
}

/** A command that ran but whose operation failed or was not satisfied (exit 1). */
export function unsatisfied(json: unknown, text: string): CommandOutput {
  return { exitCode: ExitCode.failed, json, text };
}
