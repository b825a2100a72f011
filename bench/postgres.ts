/**
 * The PostgreSQL the benchmarks' `--store postgres` uses: STEADFAST_TEST_PG_URL (and
 * STEADFAST_TEST_PG_DIR, for its CPU) when set, else a throwaway server started with .ci/postgres,
 * as CI starts it; `stop()` stops only a server started here.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface BenchPostgres {
  url: string;
  /** The server's data directory (where its `postmaster.pid` is), when known: its processes are found by it. */
  dataDir?: string;
  stop(): void;
}

/** .ci/postgres's folder (STEADFAST_TEST_PG_DIR) holds the cluster's data directory as `data/`. */
const dataDirOf = (folder: string | undefined) => (folder ? path.join(folder, 'data') : undefined);

export function benchPostgres(): BenchPostgres {
  const script = path.join(__dirname, '..', '.ci', 'postgres');
  const given = process.env.STEADFAST_TEST_PG_URL;
  if (given) return { url: given, dataDir: dataDirOf(process.env.STEADFAST_TEST_PG_DIR), stop() {} };
  const out = spawnSync(script, ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error('could not start PostgreSQL with .ci/postgres');
  const url = /STEADFAST_TEST_PG_URL=(\S+)/.exec(out.stdout)?.[1]?.replace(/^'|'$/g, '') ?? '';
  const folder = /STEADFAST_TEST_PG_DIR=(\S+)/.exec(out.stdout)?.[1]?.replace(/^'|'$/g, '');
  return {
    url,
    dataDir: dataDirOf(folder),
    stop() {
      if (folder) spawnSync(script, ['stop', folder], { stdio: 'inherit' });
    },
  };
}
