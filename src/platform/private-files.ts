/**
 * Files and directories that Steadfast creates hold effects, histories and reports, which may hold
 * personal data: they are created readable by their owner only (files 0600, directories 0700),
 * whatever the umask. Directories that already exist are left as they are, except Steadfast's own
 * state directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from './config';

/** Creates `dir` (and missing parents) with mode 0700; makes the state directory 0700 too. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const state = path.resolve(STATE_DIR);
  const resolved = path.resolve(dir);
  if (resolved === state || resolved.startsWith(state + path.sep)) fs.chmodSync(state, 0o700);
}

/** Writes `file` with mode 0600 (also when it existed before). */
export function writePrivateFile(file: string, data: string | Uint8Array): void {
  fs.writeFileSync(file, data, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/**
 * Makes sure `file` exists with mode 0600 before another program (SQLite, the Temporal server)
 * opens it, so that the file, and the journal files SQLite gives the same mode, are private.
 */
export function touchPrivateFile(file: string): void {
  makePrivateDir(path.dirname(file));
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}
