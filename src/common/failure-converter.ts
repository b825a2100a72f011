/**
 * A failure converter that keeps the worker's file paths out of the failures it sends to the
 * server: a stack trace or message that names `/home/app/src/activities/bank.ts:42:7` is recorded
 * as `bank.ts:42:7`. Histories are read by people and tools outside the worker's machine (the
 * Web UI, other teams' clients, exported histories), and a path says how the machine is laid out
 * without helping anyone find the bug: the file name and line do that.
 *
 * Workers load it by path (`dataConverter.failureConverterPath` and the bundle's
 * `failureConverterPath`), so it runs in the workflow sandbox as well: it imports only
 * `@temporalio/common`.
 */
import {
  DefaultFailureConverter,
  type FailureConverter,
  type PayloadConverter,
  type ProtoFailure,
} from '@temporalio/common';

// An absolute path (POSIX, or `C:\…`, optionally as a file:// URL) that starts a word or follows `(`.
// The last segment (file name, with its :line:column) stays; the directories go.
const ABSOLUTE_PATH = /(?<=^|[\s('"`])(?:file:\/\/)?(?:[A-Za-z]:)?(?:[\\/][^\s\\/()'"`]+)*[\\/]([^\s\\/()'"`]+)/gm;

/** `text` with every absolute file path reduced to its file name. */
export function stripPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, '$1');
}

function stripFailure(failure: ProtoFailure): ProtoFailure {
  return {
    ...failure,
    ...(failure.message ? { message: stripPaths(failure.message) } : {}),
    ...(failure.stackTrace ? { stackTrace: stripPaths(failure.stackTrace) } : {}),
    ...(failure.cause ? { cause: stripFailure(failure.cause) } : {}),
  };
}

/** Temporal's default failure converter, with file paths stripped from what it sends. */
export class PathFreeFailureConverter extends DefaultFailureConverter implements FailureConverter {
  override errorToFailure(err: unknown, payloadConverter: PayloadConverter): ProtoFailure {
    return stripFailure(super.errorToFailure(err, payloadConverter));
  }
}

/** The instance a `failureConverterPath` module must export under this name. */
export const failureConverter: FailureConverter = new PathFreeFailureConverter();
