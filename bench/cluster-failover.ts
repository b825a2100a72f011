/**
 * `npm run bench:cluster [-- --kills 10 --deadline 30m --cluster-dir <dir>]`: what a server-node
 * crash costs on the three-node cluster (`steadfast cluster up`), over at least 10 node kills.
 *
 * Load: worker processes on PostgreSQL (through HAProxy) and a steady set of open `productionBatch`
 * runs with multi-second stages, replaced as they finish. Each round:
 *
 *   all nodes up, shard owners settled ──► SIGKILL a node that owns shards (in turn)
 *     ──► poll the shards table every 50 ms
 *     ──► the survivors own every shard it had  (shard takeover)
 *     ──► the first task handled on a survivor for a run on those shards  (kill → first task)
 *     ──► each hit run's first handled task after the kill  (T_RT of that run)
 *     ──► restart the node, wait until it owns shards again (rejoin)
 *     ──► and until the owners are those of the first round again (its full share back)
 *
 * "Settled": every shard has a running owner and the owner map has not changed for
 * {@link SETTLED_MS}. The first round's settled owners are the ring's assignment with every node up
 * (the same addresses hash the same way); later rounds wait until the owners are those again, so
 * that a kill never lands while a rejoined node is still taking its share back (a shard in transit
 * would count as the victim's and move without it). A restarted node owns its first shard within
 * seconds but may get the rest only at a later rebalance.
 *
 * "Handled" is a task completed in the run's history (`WorkflowTaskCompleted`,
 * `ActivityTaskCompleted`), whose time the history service stamps. Prints p50 / p95 / max and writes
 * the samples as JSON under `.steadfast/bench/`. It prints figures; it never passes or fails on time.
 * Every wait has a deadline, and the whole run stops at `--deadline`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { Client as PgClient } from 'pg';
import { prepareStore } from '../activities';
import { openStore } from '../src/activity/store';
import { distribution, type Distribution } from '../src/chaos/metrics';
import { WorkerPool } from '../src/chaos/worker-pool';
import { STATE_DIR } from '../src/platform/config';
import { installRuntime } from '../src/platform/runtime';
import {
  clusterDown,
  clusterUp,
  firstProgressAfter,
  isOurProcess,
  NodeKiller,
  readClusterState,
  shardOfWorkflow,
  shardOwners,
  startNode,
  type ClusterState,
} from '../src/cluster';
import { workflowStartOptions } from '../src/common/failover';
import type { ProductionBatchInput } from '../workflows/production-batch';
import { uniqueId, waitUntil } from 'steadfast/testing';

/** Open runs kept going during the benchmark. */
const OPEN_RUNS = 9;
/** How long the shard owners must stay unchanged before a kill. */
const SETTLED_MS = 3_000;

/** Waits (bounded) until every shard has a running owner and the owners stayed the same for {@link SETTLED_MS}. */
async function settledOwners(cluster: ClusterState): Promise<Map<number, number | undefined>> {
  let last = '';
  let since = Date.now();
  return waitUntil(
    async () => {
      const owners = await shardOwners(cluster);
      const running = new Set(cluster.nodes.filter((n) => isOurProcess(n.pid, n.configFile)).map((n) => n.index));
      const key = JSON.stringify([...owners].sort((a, b) => a[0] - b[0]));
      if (key !== last || ![...owners.values()].every((node) => node !== undefined && running.has(node))) {
        last = key;
        since = Date.now();
        return undefined;
      }
      return Date.now() - since >= SETTLED_MS ? owners : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250, what: 'the shard owners to settle' },
  );
}

interface Round {
  node: number;
  shards: number[];
  /** Kill → the survivors own every shard of the dead node. */
  shardTakeoverMs?: number;
  /** Kill → the first task a survivor handled for a run on those shards. */
  firstTaskMs?: number;
  /** Per run it hit: kill → that run's first handled task. */
  runRecoveryMs: number[];
  runsHit: number;
  /** Restart → the node owns shards again. */
  rejoinMs?: number;
  /** Restart → every shard is with its owner of the first round again (the node has its full share back). */
  fullShareMs?: number;
}

function parseArgs(argv: string[]) {
  const positive = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected an integer 1-100.');
    return n;
  };
  const cmd = new Command('bench:cluster')
    .option('--kills <n>', 'node kills (at least 10 for the figures in docs/CLUSTER.md)', positive, 10)
    .option('--deadline <duration>', 'stop everything after this long', '30m')
    .option('--cluster-dir <dir>', 'use the running cluster in this folder (default: start one of its own)')
    .parse(argv);
  return cmd.opts<{ kills: number; deadline: string; clusterDir?: string }>();
}

const fmt = (d: Distribution) => (d.count ? `p50 ${ms(d.p50)}  p95 ${ms(d.p95)}  max ${ms(d.max)}  (n=${d.count})` : 'no samples');
const ms = (v: number | null) => (v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

async function main(): Promise<void> {
  installRuntime('ERROR');
  const opts = parseArgs(process.argv);
  const deadline = Date.now() + msToNumber(opts.deadline as '30m');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-bench-cluster-'));
  let state: ClusterState | undefined;
  let ownCluster = false;
  if (opts.clusterDir) {
    state = readClusterState(path.resolve(opts.clusterDir));
    if (!state) throw new Error(`--cluster-dir: no cluster in ${opts.clusterDir}`);
  } else {
    console.log('starting a cluster of its own (3 nodes, 8 shards)…');
    state = await clusterUp({
      dir: path.join(scratch, 'cluster'),
      port: 0,
      pgUrl: process.env.STEADFAST_TEST_PG_URL || undefined,
      database: `steadfast_temporal_bench_${Date.now()}`,
      log: (l) => console.log(l),
    });
    ownCluster = true;
  }
  const cluster = state;
  // An effect store of its own on the cluster's PostgreSQL server.
  const storeDb = `steadfast_bench_${Date.now()}`;
  const admin = new PgClient({ connectionString: cluster.postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${storeDb}`);
  const storeUrl = Object.assign(new URL(cluster.postgres.url), { pathname: `/${storeDb}` }).toString();
  const store = openStore(storeUrl);
  await prepareStore(store);

  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection, namespace: cluster.namespace });
  const taskQueue = uniqueId('bench-cluster');
  const pool = new WorkerPool({ address: cluster.address, namespace: cluster.namespace, taskQueue, storeUrl, logDir: scratch, client });
  const open = new Set<WorkflowHandle>();
  const rounds: Round[] = [];
  /** How the runs ended, counted while the benchmark runs (the ones still open at its end are terminated). */
  const outcomes = { completed: 0, failed: 0 };
  let stopping = false;

  const startRun = async () => {
    const lineId = uniqueId('bench-line');
    const input: ProductionBatchInput = {
      lineId,
      product: 'bench part',
      batches: 2,
      unitsPerBatch: 10,
      stages: ['machining', 'assembly', 'finishing'],
      unitMs: 150,
      chunkUnits: 2,
    };
    const handle = await client.workflow.start('productionBatch', { taskQueue, workflowId: `production-${lineId}`, args: [input], ...workflowStartOptions() });
    open.add(handle);
    void handle
      .result()
      .then(
        () => {
          if (!stopping) outcomes.completed++;
        },
        (err: Error) => {
          if (stopping) return;
          outcomes.failed++;
          console.log(`run ${handle.workflowId} did not complete: ${err.message}`);
        },
      )
      .finally(() => open.delete(handle));
  };
  // Keeps OPEN_RUNS runs going; a start that fails while a node is down is tried again next tick.
  const feeder = (async () => {
    while (!stopping && Date.now() < deadline) {
      while (open.size < OPEN_RUNS && !stopping) await startRun().catch(() => new Promise((r) => setTimeout(r, 500)));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  /** The owners with every node up, from the first round. */
  let fullRing: string | undefined;
  const ownersKey = (owners: Map<number, number | undefined>) => JSON.stringify([...owners].sort((a, b) => a[0] - b[0]));
  try {
    await Promise.all([pool.start(240_000), pool.start(240_000)]);
    for (let i = 0; i < opts.kills && Date.now() < deadline; i++) {
      await waitUntil(() => open.size >= OPEN_RUNS, { timeoutMs: 60_000, what: 'the open runs' });
      // Settling also gives every open run time to be under way, so that the kill lands mid-run.
      const owners = await settledOwners(cluster);
      fullRing ??= ownersKey(owners);
      const candidates = cluster.nodes.filter((n) => [...owners.values()].includes(n.index) && isOurProcess(n.pid, n.configFile));
      const victim = candidates[i % candidates.length];
      const runsNow = [...open];
      const killer = new NodeKiller(cluster, [], [], Number.POSITIVE_INFINITY);
      const kill = (await killer.killOne((cluster.nodes.indexOf(victim) + 0.5) / cluster.nodes.length))!;
      const round: Round = { node: kill.node, shards: kill.shards, runRecoveryMs: [], runsHit: 0 };
      await waitUntil(
        async () => {
          await killer.observe();
          return kill.takeoverAt;
        },
        { timeoutMs: 120_000, intervalMs: 50, what: `the survivors to take node${kill.node}'s shards` },
      );
      round.shardTakeoverMs = kill.takeoverAt! - kill.at;
      // The runs it hit: open at the kill, on a shard the dead node owned.
      const hit: WorkflowHandle[] = [];
      for (const h of runsNow) {
        const shard = await shardOfWorkflow(cluster.postgres.url, h.workflowId, cluster.databases.database);
        if (shard !== undefined && kill.shards.includes(shard)) hit.push(h);
      }
      round.runsHit = hit.length;
      // Each hit run handles a task again (bounded); its history says when.
      const firsts = await Promise.all(
        hit.map((h) =>
          waitUntil(
            async () => {
              const events = (await h.fetchHistory()).events ?? [];
              const t = firstProgressAfter(events, kill.at);
              const closed = (await h.describe()).status.name !== 'RUNNING';
              return t ?? (closed ? -1 : undefined);
            },
            { timeoutMs: 120_000, intervalMs: 500, what: `${h.workflowId} to make progress` },
          ).catch(() => -1),
        ),
      );
      round.runRecoveryMs = firsts.filter((t) => t > 0).map((t) => t - kill.at);
      if (round.runRecoveryMs.length) round.firstTaskMs = Math.min(...round.runRecoveryMs);
      const restartAt = Date.now();
      await startNode(cluster, kill.node);
      await waitUntil(async () => [...(await shardOwners(cluster)).values()].includes(kill.node), {
        timeoutMs: 120_000,
        intervalMs: 100,
        what: `node${kill.node} to own shards again`,
      });
      round.rejoinMs = Date.now() - restartAt;
      const ring = fullRing;
      await waitUntil(async () => ownersKey(await shardOwners(cluster)) === ring, {
        timeoutMs: 180_000,
        intervalMs: 250,
        what: 'the shard owners of the first round',
      }).then(
        () => void (round.fullShareMs = Date.now() - restartAt),
        (err: Error) => console.log(`  (${err.message}; going on with the owners as they are)`),
      );
      rounds.push(round);
      console.log(
        `kill ${i + 1}: node${round.node} (shards ${round.shards.join(',')}): takeover ${ms(round.shardTakeoverMs ?? null)}, ` +
          `first task ${ms(round.firstTaskMs ?? null)}, ${round.runsHit} run(s) hit, ` +
          `rejoined ${ms(round.rejoinMs ?? null)} after restart, full share back after ${ms(round.fullShareMs ?? null)}`,
      );
    }
    printFigures(rounds, cluster, outcomes);
  } finally {
    stopping = true;
    await feeder;
    // Ends the open runs and lets their result() calls settle, so that no call is still being
    // retried when the connection closes.
    const left = [...open];
    await Promise.all(left.map((h) => h.terminate('benchmark over').catch(() => undefined)));
    await waitUntil(() => open.size === 0, { timeoutMs: 30_000, what: 'the open runs to end' }).catch(() => undefined);
    await pool.stopAll().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${storeDb} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    if (ownCluster) await clusterDown(cluster.dir).catch((err) => console.error('cluster down failed:', err));
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Prints p50 / p95 / max over the rounds and writes the samples under `.steadfast/bench/`. */
function printFigures(rounds: Round[], cluster: ClusterState, outcomes: { completed: number; failed: number }): void {
  const figures = {
    kills: rounds.length,
    shardTakeover: distribution(rounds.flatMap((r) => (r.shardTakeoverMs === undefined ? [] : [r.shardTakeoverMs]))),
    firstTaskOnSurvivor: distribution(rounds.flatMap((r) => (r.firstTaskMs === undefined ? [] : [r.firstTaskMs]))),
    runRecovery: distribution(rounds.flatMap((r) => r.runRecoveryMs)),
    rejoin: distribution(rounds.flatMap((r) => (r.rejoinMs === undefined ? [] : [r.rejoinMs]))),
    fullShare: distribution(rounds.flatMap((r) => (r.fullShareMs === undefined ? [] : [r.fullShareMs]))),
  };
  console.log(`\ncluster failover over ${rounds.length} node kills (3 nodes, ${cluster.numHistoryShards} shards, SIGKILL):`);
  console.log(`  shard takeover (kill → survivors own its shards)   ${fmt(figures.shardTakeover)}`);
  console.log(`  kill → first task handled on a survivor            ${fmt(figures.firstTaskOnSurvivor)}`);
  console.log(`  T_RT of the runs hit (kill → run's next task)      ${fmt(figures.runRecovery)}`);
  console.log(`  rejoin (restart → owns shards again)               ${fmt(figures.rejoin)}`);
  console.log(`  full share back (restart → first round's owners)   ${fmt(figures.fullShare)}`);
  console.log(`  runs that ended during the benchmark: ${outcomes.completed} completed, ${outcomes.failed} did not`);
  const outDir = path.join(STATE_DIR, 'bench');
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `cluster-failover-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(out, JSON.stringify({ figures, outcomes, rounds }, null, 2));
  console.log(`samples: ${out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
