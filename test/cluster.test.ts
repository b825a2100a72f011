/**
 * Steadfast on a real multi-node Temporal cluster (`steadfast cluster up`): three server nodes on
 * PostgreSQL, HAProxy in front, worker processes on PostgreSQL as the effect store.
 *
 * - every workflow type completes, and a saga compensates;
 * - a server node is SIGKILLed mid-run: its shards move to the survivors, every run ends correctly,
 *   effects apply once, money is conserved; then it restarts and rejoins (owns shards again);
 * - the frontend the client is connected to dies: client and workers reconnect through HAProxy to
 *   another node, and runs go on;
 * - the chaos harness runs against the cluster with server-node kills and reports its metrics.
 *
 * In CI the cluster must come up, or the suite fails with what was tried. Elsewhere it is skipped,
 * with the reason, when the server is not provisioned yet (`npm run setup:cluster` builds it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { EffectStore } from '../src/activity/store';
import { WorkerPool } from '../src/chaos/worker-pool';
import { runChaos } from '../src/chaos/runner';
import { PROJECT_ROOT } from '../src/platform/config';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  killNode,
  NodeKiller,
  provisionCluster,
  readBackendStats,
  shardOfWorkflow,
  shardOwners,
  startNode,
  type ClusterState,
} from '../src/cluster';
import { keysLike, uniqueId, waitUntil } from './helpers';
import { CHAOS_WORKFLOW_TYPES as CHAOS_TYPES, checkRuns, finishRuns, startRuns, violations, type RunSpec } from './cluster-runs';
import { pgTestUrl, storeBackends, type TempStore } from './stores';

/** True in CI: `CI` set to anything but empty or "false". */
function isCI(): boolean {
  const ci = process.env.CI?.trim();
  return Boolean(ci) && ci !== 'false';
}

/** Slower production stages, so that a run is still going when a node dies (about 8 s a run). */
const slowStages = (args: unknown[]) => [{ ...(args[0] as object), unitsPerBatch: 10, unitMs: 150, chunkUnits: 2 }];
/** A transfer whose deposit fails twice first: the retries keep it open for a few seconds. */
const slowTransfer: RunSpec = { type: 'moneyTransfer', want: 'completed', plan: { deposit: { kind: 'transient', times: 2 } } };

describe('Temporal cluster: 3 server nodes on PostgreSQL behind HAProxy, workers on PostgreSQL', function () {
  this.timeout(300_000);
  let dir: string;
  let state: ClusterState | undefined;
  let effects: TempStore;
  let store: EffectStore;
  let connection: Connection;
  let client: Client;
  let pool: WorkerPool;
  const taskQueue = uniqueId('cluster-tq');
  const pgUrlBefore = process.env.STEADFAST_TEST_PG_URL;

  before(async function () {
    this.timeout(20 * 60_000);
    const ci = isCI();
    try {
      // Outside CI, never start a minutes-long build from a test run.
      await provisionCluster({ mode: ci ? 'build' : 'find', log: () => undefined });
    } catch (err) {
      if (ci) throw new Error(`CI: the cluster tests must run, but the cluster cannot be provisioned:\n${(err as Error).message}`);
      console.log(`      (skipping the cluster tests: ${(err as Error).message.split('\n')[0]}; run "npm run setup:cluster")`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-cluster-'));
    const pgUrl = pgTestUrl();
    // Without STEADFAST_TEST_PG_URL the cluster starts PostgreSQL itself, as CI does (.ci/postgres).
    // Databases of its own, so that it never joins another cluster on the same server.
    const database = `steadfast_temporal_${uniqueId('t').slice(2).replace(/-/g, '')}`;
    state = await clusterUp({ dir, pgUrl, database, port: 0, provision: 'find', log: () => undefined });
    // The effect stores go on the same PostgreSQL server (for this file only).
    process.env.STEADFAST_TEST_PG_URL = state.postgres.url;
    effects = await storeBackends.find((b) => b.name === 'postgres')!.open();
    store = effects.store;
    connection = await Connection.connect({ address: state.address });
    client = new Client({ connection, namespace: state.namespace });
    pool = new WorkerPool({ address: state.address, namespace: state.namespace, taskQueue, storeUrl: effects.url, logDir: dir, client });
    // A worker bundles the workflows at start: on a busy machine that takes a minute or more.
    await Promise.all([pool.start(240_000), pool.start(240_000)]);
  });

  after(async function () {
    this.timeout(120_000);
    await pool?.stopAll().catch((err) => console.error('stopping workers failed:', err));
    await connection?.close().catch(() => undefined);
    await effects?.cleanup().catch((err) => console.error('effect store cleanup failed:', err));
    if (state) await clusterDown(dir).catch((err) => console.error('cluster down failed:', err));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (pgUrlBefore === undefined) delete process.env.STEADFAST_TEST_PG_URL;
    else process.env.STEADFAST_TEST_PG_URL = pgUrlBefore;
  });

  /** Waits until every node runs, is alive in the ring, and every shard has a running owner. */
  async function waitHealthy(what: string) {
    return waitUntil(
      async () => {
        const s = await clusterStatus(dir);
        const healthy = s.nodes.every((n) => n.running && n.frontendAnswers && Object.values(n.ring).every(Boolean)) && !s.orphanShards.length;
        return healthy ? s : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what },
    );
  }

  it('is up: three nodes, each alive in the membership ring for all four services, and every shard owned', async function () {
    const s = await waitHealthy('a healthy cluster');
    assert.equal(s.nodes.length, 3);
    assert.deepEqual(
      s.nodes.flatMap((n) => n.shards).sort((a, b) => a - b),
      Array.from({ length: s.numHistoryShards }, (_, i) => i + 1),
      'each shard has exactly one owner',
    );
    assert.ok(s.nodes.filter((n) => n.shards.length > 0).length >= 2, 'the ring spreads the shards over several nodes');
    assert.deepEqual(
      s.loadBalancer?.backends.map((b) => [b.name, b.status]),
      s.nodes.map((n) => [n.name, 'UP']),
      'HAProxy sees every frontend up',
    );
    // The CLI, as an operator runs it: one JSON document, exit 0.
    const cli = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'steadfast.js'), 'cluster', 'status', '--dir', dir, '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(cli.status, 0, cli.stderr);
    const doc = JSON.parse(cli.stdout) as { nodes: Array<{ name: string; running: boolean; pid: number }> };
    assert.deepEqual(
      doc.nodes.map((n) => [n.name, n.running, n.pid]),
      state!.nodes.map((n) => [n.name, true, n.pid]),
    );
  });

  it('runs every workflow type to completion, and compensates an order whose shipment fails for good', async function () {
    const runs = await startRuns(client, store, taskQueue, [
      { type: 'orderFulfillment', want: 'completed' },
      { type: 'moneyTransfer', want: 'completed' },
      { type: 'productionBatch', want: 'completed' },
      { type: 'carePathway', want: 'completed' },
      { type: 'orderFulfillment', want: 'failed', plan: { createShipment: { kind: 'permanent' } } },
    ]);
    const records = await finishRuns(runs);
    assert.deepEqual(
      records.map((r) => [r.workflowType, r.status, r.failureType]),
      [
        ['orderFulfillment', 'completed', undefined],
        ['moneyTransfer', 'completed', undefined],
        ['productionBatch', 'completed', undefined],
        ['carePathway', 'completed', undefined],
        ['orderFulfillment', 'failed', 'SimulatedPermanentFault'],
      ],
    );
    // The compensated order: the charge refunded and the reservation released, in the store.
    const compensated = await store.all<{ key: string }>('SELECT key FROM steadfast_compensations WHERE key LIKE ?', [keysLike(runs[4].workflowId)]);
    assert.ok(compensated.length >= 2, `compensations recorded: ${compensated.map((c) => c.key).join(', ')}`);
    for (const run of records) assert.deepEqual(await CHAOS_TYPES[run.workflowType].checkEffects!(store, run), [], `${run.workflowId}'s effects`);
    assert.deepEqual(violations(await checkRuns(store, records)), []);
  });

  it('survives a SIGKILLed server node: its shards move, every run completes once with money conserved; it rejoins', async function () {
    const specs: RunSpec[] = [
      ...Array.from({ length: 4 }, (): RunSpec => ({ type: 'productionBatch', want: 'completed', adjust: slowStages })),
      ...Array.from({ length: 4 }, () => slowTransfer),
      ...Array.from({ length: 2 }, (): RunSpec => ({ type: 'orderFulfillment', plan: { chargePayment: { kind: 'transient', times: 2 } } })),
    ];
    const runs = await startRuns(client, store, taskQueue, specs);
    // Kill the node that owns the shards of most of these runs, so the kill surely hits some.
    const owners = await shardOwners(state!);
    const shards = await Promise.all(runs.map((r) => waitUntil(() => shardOfWorkflow(state!.postgres.url, r.workflowId, state!.databases.database), { what: 'the run\'s shard' })));
    const load = new Map<number, number>();
    for (const s of shards) load.set(owners.get(s)!, (load.get(owners.get(s)!) ?? 0) + 1);
    const victim = [...load].sort((a, b) => b[1] - a[1])[0][0];
    const killer = new NodeKiller(state!, [], [], Number.POSITIVE_INFINITY);
    const record = await killer.killOne((victim - 1) / 3 + 0.01);
    assert.ok(record, 'a node was killed');
    assert.equal(record.node, victim);
    assert.ok(record.shards.length > 0, 'the killed node owned shards');

    // The survivors take its shards over.
    await waitUntil(
      async () => {
        await killer.observe();
        return record.takeoverAt;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `the survivors to take node${victim}'s shards` },
    );
    const records = await finishRuns(runs);
    assert.deepEqual(
      records.filter((r) => !r.outcomeCorrect).map((r) => `${r.workflowId}: ${r.status} ${r.failureType ?? ''}`),
      [],
      'every run ends as predicted',
    );
    for (const run of records) assert.deepEqual(await CHAOS_TYPES[run.workflowType].checkEffects!(store, run), [], `${run.workflowId}'s effects`);
    assert.deepEqual(violations(await checkRuns(store, records)), [], 'effects once, money and stock conserved');

    // It restarts and rejoins: it is alive in the ring and owns shards again.
    await startNode(state!, victim);
    const s = await waitHealthy(`node${victim} to rejoin`);
    await waitUntil(async () => (await shardOwners(state!)).size && [...(await shardOwners(state!)).values()].includes(victim), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `node${victim} to own shards again`,
    });
    assert.ok(s.nodes[victim - 1].running);
  });

  it('reconnects client and workers through HAProxy when the frontend the client uses dies, and runs go on', async function () {
    const lb = state!.loadBalancer!;
    // A new client connection: the backend whose connection count grew by one is its frontend.
    const before = await readBackendStats(lb.statsSocket);
    // A subchannel of its own: grpc-js would otherwise reuse the suite's TCP connection.
    const conn = await Connection.connect({ address: state!.address, channelArgs: { 'grpc.use_local_subchannel_pool': 1 } });
    try {
      const after = await readBackendStats(lb.statsSocket);
      const grew = (b: { name: string; total: number }) => b.total - (before.find((x) => x.name === b.name)?.total ?? 0);
      const used = after.filter((b) => grew(b) > 0).sort((a, b) => grew(b) - grew(a));
      assert.ok(used.length >= 1, `a backend took the new connection: ${JSON.stringify({ before, after })}`);
      const victim = state!.nodes.find((n) => n.name === used[0].name)!.index;
      const ownClient = new Client({ connection: conn, namespace: state!.namespace });

      const first = await startRuns(ownClient, store, taskQueue, [slowTransfer, slowTransfer, { type: 'productionBatch', want: 'completed', adjust: slowStages }]);
      killNode(state!, victim, 'SIGKILL');
      // The same client, after its frontend died: new runs start and every run completes.
      const second = await startRuns(ownClient, store, taskQueue, [
        { type: 'moneyTransfer', want: 'completed' },
        { type: 'orderFulfillment', want: 'completed' },
        { type: 'carePathway', want: 'completed' },
      ]);
      const records = await finishRuns([...first, ...second]);
      assert.deepEqual(
        records.map((r) => [r.workflowType, r.status]),
        [...first, ...second].map((r) => [r.type.name, 'completed']),
      );
      assert.deepEqual(violations(await checkRuns(store, records)), []);
      const stats = await readBackendStats(lb.statsSocket);
      assert.equal(stats.find((b) => b.name === `node${victim}`)?.status, 'DOWN', 'HAProxy took the dead frontend out');
      assert.ok(pool.live().length === 2, 'the workers lived through it');
    } finally {
      await conn.close();
    }
    await startNode(state!, state!.nodes.find((n) => !n.pid)!.index);
    await waitHealthy('the node to rejoin');
  });

  it('runs the chaos harness against the cluster with server-node kills, and reports the metrics', async function () {
    this.timeout(420_000);
    const chaosStore = await storeBackends.find((b) => b.name === 'postgres')!.open();
    try {
      const report = await runChaos(
        {
          target: 'cluster',
          clusterDir: dir,
          workflows: 16,
          workers: 2,
          kills: 1,
          nodeKills: 1,
          nodeDownSeconds: 6,
          killWindowSeconds: 4,
          seed: 4_242,
          rates: { transient: 0.2, permanent: 0.05, timeout: 0, lostAck: 0.1 },
          timeLimitSeconds: 240,
          store: chaosStore.url,
          reportFile: path.join(dir, 'chaos.html'),
          progress: false,
        },
        { log: () => undefined },
      );
      assert.deepEqual(
        report.invariants.filter((v) => !v.holds).map((v) => [v.name, v.violations]),
        [],
        'every invariant holds',
      );
      assert.equal(report.nodeKills.length, 1);
      const [kill] = report.nodeKills;
      assert.ok(kill.takeoverAt && kill.takeoverAt > kill.at, 'the survivors took the shards over');
      assert.ok(kill.rejoinedAt && kill.restartedAt, 'the node came back and owned shards again');
      assert.ok((report.metrics.faultsByKind['node-kill'] ?? 0) >= 1, 'node kills are counted as faults');
      assert.ok(report.faults.some((f) => f.kind === 'node-kill' && f.injectedAt === kill.at));
      assert.ok(fs.existsSync(path.join(dir, 'chaos.html')));
    } finally {
      await chaosStore.cleanup();
    }
    await waitHealthy('the cluster to be whole after the chaos run');
  });
});
