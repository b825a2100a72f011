/**
 * `npm run bench:store`: what Steadfast's exactly-once costs per effect in the effect store alone,
 * with no Temporal. The same one-row insert as bench:saga's steps, three ways, one at a time:
 * - `plain`: the row inserted on its own (autocommit), as plain Temporal code would;
 * - `applyEffect`: the row and its idempotency key in one transaction, after the key and
 *   tombstone lookups (a step's first attempt);
 * - `replayed`: `applyEffect` on a key already recorded (a retry after a lost reply): no write.
 * Per way and round it prints the wall time and this process's CPU time per effect (on
 * PostgreSQL the server's own CPU is not counted). The store is a fresh SQLite file in a temporary
 * directory, or, with `--store postgres`, STEADFAST_TEST_PG_URL or a throwaway server started with
 * .ci/postgres, in a fresh table.
 *
 * Usage: npm run bench:store -- [--store sqlite|postgres] [--effects 3000] [--rounds 3] [--json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { openStore } from 'steadfast/activity';
import { createSagaBenchActivities, SAGA_BENCH_DDL } from './saga/activities';
import { positiveInt } from './args';
import { benchPostgres } from './postgres';

interface Figure {
  round: number;
  way: 'plain' | 'applyEffect' | 'replayed';
  wallUsPerEffect: number;
  cpuUsPerEffect: number;
}

async function main(): Promise<void> {
  const opts = new Command('bench:store')
    .option('--store <kind>', 'sqlite or postgres', 'sqlite')
    .option('--effects <n>', 'effects per way and round', positiveInt('--effects'), 3_000)
    .option('--rounds <n>', 'rounds, each running every way', positiveInt('--rounds'), 3)
    .option('--json', 'print the figures as JSON')
    .parse()
    .opts<{ store: string; effects: number; rounds: number; json?: boolean }>();
  if (opts.store !== 'sqlite' && opts.store !== 'postgres') {
    console.error(`--store must be sqlite or postgres; got "${opts.store}"`);
    process.exitCode = 2;
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-bench-store-'));
  const pg = opts.store === 'postgres' ? benchPostgres() : undefined;
  const store = openStore(pg?.url ?? `sqlite:${path.join(dir, 'effects.db')}`);
  const figures: Figure[] = [];
  try {
    await store.run('DROP TABLE IF EXISTS bench_saga_effects');
    await store.migrate(SAGA_BENCH_DDL);
    const acts = createSagaBenchActivities(store);
    const tag = `${process.pid}-${Date.now()}`;
    const key = (round: number, i: number) => `bench/store/${tag}/${round}/${i}/reserve`;
    const ways: Array<[Figure['way'], (round: number, i: number) => Promise<unknown>]> = [
      ['plain', (round, i) => acts.plainReserve(`plain-${tag}-${round}-${i}`)],
      ['applyEffect', (round, i) => acts.reserve({ key: key(round, i), orderId: `steadfast-${tag}-${round}-${i}` })],
      // The same keys and requests as the round's applyEffect: each finds its recorded result.
      ['replayed', (round, i) => acts.reserve({ key: key(round, i), orderId: `steadfast-${tag}-${round}-${i}` })],
    ];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const [way, fn] of ways) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        for (let i = 0; i < opts.effects; i++) await fn(round, i);
        const cpu = process.cpuUsage(c0);
        const figure: Figure = {
          round,
          way,
          wallUsPerEffect: Math.round(((performance.now() - t0) * 1000) / opts.effects),
          cpuUsPerEffect: Math.round((cpu.user + cpu.system) / opts.effects),
        };
        figures.push(figure);
        if (!opts.json) console.log(`round ${round}  ${way.padEnd(11)}  ${String(figure.wallUsPerEffect).padStart(6)} µs wall  ${String(figure.cpuUsPerEffect).padStart(6)} µs CPU per effect`);
      }
    }
    // Every effect landed once: one row per plain insert and per first applyEffect, none per replay.
    const rows = await store.get<{ n: number }>('SELECT COUNT(*) AS n FROM bench_saga_effects');
    const expected = 2 * opts.effects * opts.rounds;
    if (Number(rows?.n) !== expected) throw new Error(`the store holds ${rows?.n} rows; expected ${expected}`);
    if (opts.json) console.log(JSON.stringify({ store: opts.store, effects: opts.effects, figures }, null, 2));
    else console.log(`store check: ${expected} rows, one per write, none from a replay`);
  } finally {
    await store.close();
    pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
