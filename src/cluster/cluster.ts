/**
 * `steadfast cluster up | down | status`: a production-shaped Temporal cluster on loopback.
 *
 *   provision binaries ──► PostgreSQL (.ci/postgres, or --pg-url) ──► schemas (temporal-sql-tool)
 *     ──► node 1 ──► nodes 2, 3 (they find each other through cluster_membership)
 *     ──► namespace + Steadfast's search attributes ──► HAProxy in front of the three frontends
 *
 * Three server processes, each running frontend, history, matching and worker, with distinct
 * ports; a fixed number of history shards that the membership ring spreads over the nodes and moves
 * to the survivors when a node dies. Everything the cluster writes (configs, logs, the PostgreSQL
 * data it started, `state.json` with the PIDs) lives in one folder; `down` stops exactly the PIDs
 * recorded there, after checking that each one is still the process it started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import Long from 'long';
import { STATE_DIR } from '../platform/config';
import { ensureSearchAttributes } from '../platform/search-attributes';
import { portFree } from '../platform/servers';
import { STEADFAST_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { provisionCluster, type ClusterBinaries, type ProvisionMode } from './binaries';
import { haproxyConfig, readBackendStats, resolveHaproxy, type BackendStat } from './load-balancer';
import { allPorts, DYNAMIC_CONFIG, NODE_PORT_STRIDE, NODE_SERVICES, portsFromBase, writeNodeConfig, type NodePorts } from './node-config';
import {
  persistenceFromUrl,
  readMembership,
  readShards,
  setUpSchemas,
  startPostgres,
  stopPostgres,
  type ClusterDatabases,
  type ClusterPostgres,
  CLUSTER_DATABASES,
  databasesNamed,
  type MembershipRow,
} from './postgres';

/** The default folder of `steadfast cluster`. */
export const DEFAULT_CLUSTER_DIR = path.join(STATE_DIR, 'cluster');
/** Where clients connect by default: HAProxy's port. Nodes take the ports above it, 100 apart. */
export const DEFAULT_CLUSTER_PORT = 17233;
export const DEFAULT_NODES = 3;
export const DEFAULT_SHARDS = 8;

/** One server node as `state.json` records it. */
export interface NodeState {
  /** 1-based, as operators count. */
  index: number;
  name: string;
  ports: NodePorts;
  configFile: string;
  logFile: string;
  /** The server process, while it runs; cleared when `down` or a kill stops it. */
  pid?: number;
  startedAt?: number;
}

/** The load balancer as `state.json` records it. */
export interface LoadBalancerState {
  port: number;
  configFile: string;
  statsSocket: string;
  logFile: string;
  pid?: number;
}

/** Everything `up` started, in `<dir>/state.json`. */
export interface ClusterState {
  dir: string;
  version: string;
  namespace: string;
  numHistoryShards: number;
  binaries: Pick<ClusterBinaries, 'server' | 'sqlTool' | 'schemaDir'>;
  postgres: ClusterPostgres;
  /** The cluster's two databases on that server (one pair per cluster: clusters never share them). */
  databases: ClusterDatabases;
  schemaVersions: Record<string, string>;
  nodes: NodeState[];
  loadBalancer?: LoadBalancerState;
  /** What clients should use: the load balancer, or node 1's frontend without one. */
  address: string;
}

/** Options of {@link clusterUp}. */
export interface ClusterUpOptions {
  dir?: string;
  /** Use this PostgreSQL server instead of starting one with `.ci/postgres`. */
  pgUrl?: string;
  /**
   * Name of the cluster's database (`<name>` and `<name>_visibility`); default `steadfast_temporal`.
   * Two clusters on one PostgreSQL server need different names, or they would form one ring.
   */
  database?: string;
  nodes?: number;
  numHistoryShards?: number;
  namespace?: string;
  /** Client port (HAProxy); nodes take `port + 100·n`. `0`: every port chosen free by the OS. */
  port?: number;
  /** Start HAProxy in front of the frontends (default true). */
  loadBalancer?: boolean;
  /** `find`: never build the server (fail instead); `build` (default): build it when missing. */
  provision?: ProvisionMode;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  log?: (line: string) => void;
}

/** A cluster folder with no running cluster, or bad options: the CLI's exit code 2. */
export class ClusterUsageError extends Error {
  override readonly name = 'ClusterUsageError';
}

const stateFile = (dir: string) => path.join(dir, 'state.json');

/** Reads `<dir>/state.json`, or undefined when no cluster was started there. */
export function readClusterState(dir: string = DEFAULT_CLUSTER_DIR): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function writeState(state: ClusterState): void {
  fs.writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2) + '\n');
}

/**
 * True when `pid` runs and its command line holds `marker` (the node's config file): a recycled PID
 * of some other process is never taken for ours.
 */
export function isOurProcess(pid: number | undefined, marker: string): boolean {
  if (!pid) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z) has exited already.
    return cmdline.split('\0').includes(marker) && !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Asks a frontend for its system info; resolves true when it answers within `timeoutMs`. */
export async function frontendAnswers(address: string, timeoutMs = 2_000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () => connection!.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** `127.0.0.1:<frontend port>` of a node. */
export const frontendAddress = (node: NodeState) => `127.0.0.1:${node.ports.grpc.frontend}`;

/**
 * Starts node `index` (1-based) from its config file, as a process of its own that outlives the
 * caller, and waits until its frontend answers. Used by `up`, and to restart a node after a kill.
 */
export async function startNode(state: ClusterState, index: number, timeoutMs = 90_000): Promise<NodeState> {
  const node = state.nodes[index - 1];
  if (!node) throw new ClusterUsageError(`node ${index}: the cluster has nodes 1-${state.nodes.length}`);
  if (isOurProcess(node.pid, node.configFile)) return node;
  const out = fs.openSync(node.logFile, 'a');
  const child = spawn(state.binaries.server, ['--config-file', node.configFile, '--allow-no-auth', 'start'], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${state.binaries.server} for ${node.name}`);
  node.pid = child.pid;
  node.startedAt = Date.now();
  writeState(state);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`exited (${code ?? signal})`)));
  const up = waitFor(`${node.name}'s frontend on ${frontendAddress(node)}`, timeoutMs, async () =>
    (await frontendAnswers(frontendAddress(node))) ? true : undefined,
  );
  const result = await Promise.race([up, exited]);
  if (result !== true) {
    node.pid = undefined;
    writeState(state);
    throw new Error(`${node.name} ${result} before it served; see ${node.logFile}`);
  }
  return node;
}

/**
 * Stops node `index` with `signal` (SIGKILL by default: a crash) and forgets its PID.
 * @returns when the signal was sent (ms since the epoch)
 */
export function killNode(state: ClusterState, index: number, signal: NodeJS.Signals = 'SIGKILL'): number {
  const node = state.nodes[index - 1];
  if (!node) throw new ClusterUsageError(`node ${index}: the cluster has nodes 1-${state.nodes.length}`);
  if (!isOurProcess(node.pid, node.configFile)) throw new Error(`${node.name} is not running`);
  const at = Date.now();
  process.kill(node.pid!, signal);
  node.pid = undefined;
  writeState(state);
  return at;
}

async function registerNamespace(state: ClusterState, log: (line: string) => void): Promise<void> {
  const ALREADY_EXISTS = 6;
  for (const node of state.nodes) {
    const connection = await Connection.connect({ address: frontendAddress(node) });
    try {
      if (node.index === 1) {
        await waitFor(`namespace ${state.namespace} to be registered`, 60_000, async () => {
          try {
            await connection.workflowService.registerNamespace({
              namespace: state.namespace,
              workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(24 * 3600) },
              description: 'registered by steadfast cluster up',
            });
            log(`[cluster] registered namespace ${state.namespace}`);
          } catch (err) {
            if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
          }
          return true;
        });
        const added = await waitFor('the search attributes', 60_000, () => ensureSearchAttributes(connection, state.namespace));
        if (added.length) log(`[cluster] registered search attributes ${added.join(', ')}`);
      }
      // Every frontend must know the namespace and the attributes before clients use it.
      await waitFor(`${node.name} to know namespace ${state.namespace} and its search attributes`, 60_000, async () => {
        const attrs = (await connection.operatorService.listSearchAttributes({ namespace: state.namespace })).customAttributes ?? {};
        return STEADFAST_SEARCH_ATTRIBUTES.every((k) => k.name in attrs) ? true : undefined;
      });
    } finally {
      await connection.close();
    }
  }
}

async function startLoadBalancer(state: ClusterState, lb: LoadBalancerState): Promise<void> {
  const haproxy = resolveHaproxy();
  fs.writeFileSync(
    lb.configFile,
    haproxyConfig({
      port: lb.port,
      statsSocket: lb.statsSocket,
      frontends: state.nodes.map((n) => ({ name: n.name, address: frontendAddress(n) })),
    }),
  );
  const out = fs.openSync(lb.logFile, 'a');
  // -db: stay in the foreground, so the PID is HAProxy's own.
  const child = spawn(haproxy, ['-db', '-f', lb.configFile], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  lb.pid = child.pid;
  state.loadBalancer = lb;
  writeState(state);
  await waitFor(`HAProxy on 127.0.0.1:${lb.port}`, 30_000, async () => ((await frontendAnswers(`127.0.0.1:${lb.port}`)) ? true : undefined));
}

/**
 * Membership ports must stay below 32768: `cluster_membership.rpc_port` is a SMALLINT, and a node
 * whose port does not fit dies at start. So "free ports" (port 0) means a free block in
 * 20000–32767, not the OS's ephemeral range.
 */
const MAX_MEMBERSHIP_PORT = 32_767;

async function takenPorts(ports: number[]): Promise<number[]> {
  const taken: number[] = [];
  for (const port of ports) if (!(await portFree(port))) taken.push(port);
  return taken;
}

async function choosePorts(base: number, nodes: number, withLb: boolean): Promise<{ lb: number; nodes: NodePorts[] }> {
  const layout = (b: number) => ({ lb: b, nodes: Array.from({ length: nodes }, (_, i) => portsFromBase(b, i + 1)) });
  const all = (l: ReturnType<typeof layout>) => [...(withLb ? [l.lb] : []), ...l.nodes.flatMap(allPorts)];
  if (base !== 0) {
    const l = layout(base);
    if (Math.max(...l.nodes.map((n) => Math.max(...Object.values(n.membership)))) > MAX_MEMBERSHIP_PORT) {
      throw new ClusterUsageError(`--port: ${base} puts membership ports above ${MAX_MEMBERSHIP_PORT} (the membership table stores them as SMALLINT); pick a lower port`);
    }
    const taken = await takenPorts(all(l));
    if (taken.length) throw new ClusterUsageError(`--port: ports ${taken.join(', ')} on 127.0.0.1 are in use; pass another --port (or 0 for free ports)`);
    return l;
  }
  for (let tries = 0; tries < 50; tries++) {
    const l = layout(20_000 + 10 * Math.floor(Math.random() * ((MAX_MEMBERSHIP_PORT - 20_000 - NODE_PORT_STRIDE * (nodes + 1)) / 10)));
    if (!(await takenPorts(all(l))).length) return l;
  }
  throw new ClusterUsageError(`--port 0: found no free block of ports below ${MAX_MEMBERSHIP_PORT} in 50 tries`);
}

/**
 * Brings a cluster up in `dir` (or starts the nodes of one that is there but stopped) and returns
 * its state. With `log`, prints progress.
 */
export async function clusterUp(opts: ClusterUpOptions = {}): Promise<ClusterState> {
  const dir = path.resolve(opts.dir ?? DEFAULT_CLUSTER_DIR);
  const log = opts.log ?? (() => undefined);
  const existing = readClusterState(dir);
  if (existing) {
    // A cluster is recorded here: start whatever of it is not running.
    for (const node of existing.nodes) {
      if (!isOurProcess(node.pid, node.configFile)) {
        log(`[cluster] starting ${node.name}…`);
        await startNode(existing, node.index);
      }
    }
    const lb = existing.loadBalancer;
    if (lb && !isOurProcess(lb.pid, lb.configFile)) await startLoadBalancer(existing, lb);
    return existing;
  }
  const nodeCount = opts.nodes ?? DEFAULT_NODES;
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 9) throw new ClusterUsageError(`--nodes: expected 1-9, got ${nodeCount}`);
  const shards = opts.numHistoryShards ?? DEFAULT_SHARDS;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new ClusterUsageError(`--shards: expected 1-1024, got ${shards}`);
  const ports = await choosePorts(opts.port ?? DEFAULT_CLUSTER_PORT, nodeCount, opts.loadBalancer !== false);

  log('[cluster] provisioning the Temporal server…');
  const binaries = await provisionCluster({ mode: opts.provision ?? 'build', log });
  fs.mkdirSync(dir, { recursive: true });
  let postgres: ClusterPostgres;
  if (opts.pgUrl) {
    persistenceFromUrl(opts.pgUrl);
    postgres = { url: opts.pgUrl };
  } else {
    log('[cluster] starting PostgreSQL (.ci/postgres)…');
    postgres = startPostgres(dir);
  }
  const state: ClusterState = {
    dir,
    version: binaries.version,
    namespace: opts.namespace ?? 'default',
    numHistoryShards: shards,
    binaries: { server: binaries.server, sqlTool: binaries.sqlTool, schemaDir: binaries.schemaDir },
    postgres,
    databases: opts.database ? databasesNamed(opts.database) : CLUSTER_DATABASES,
    schemaVersions: {},
    nodes: [],
    address: '',
  };
  try {
    log('[cluster] setting up the schemas (temporal-sql-tool)…');
    state.schemaVersions = await setUpSchemas(postgres.url, binaries.sqlTool, binaries.schemaDir, state.databases);
    const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
    fs.writeFileSync(dynamicConfigFile, JSON.stringify(DYNAMIC_CONFIG, null, 2) + '\n');
    const persistence = persistenceFromUrl(postgres.url, state.databases);
    const clusterAddress = `127.0.0.1:${ports.nodes[0].grpc.frontend}`;
    state.nodes = ports.nodes.map((p, i) => {
      const nodeDir = path.join(dir, `node${i + 1}`);
      return {
        index: i + 1,
        name: `node${i + 1}`,
        ports: p,
        configFile: writeNodeConfig(nodeDir, {
          index: i + 1,
          ports: p,
          clusterAddress,
          numHistoryShards: shards,
          persistence,
          dynamicConfigFile,
          logLevel: opts.logLevel ?? 'info',
        }),
        logFile: path.join(nodeDir, 'server.log'),
      };
    });
    state.address = opts.loadBalancer === false ? clusterAddress : `127.0.0.1:${ports.lb}`;
    writeState(state);
    // The first node initialises the cluster metadata; the others join it.
    log(`[cluster] starting node1…`);
    await startNode(state, 1);
    log(`[cluster] starting ${state.nodes.slice(1).map((n) => n.name).join(', ')}…`);
    await Promise.all(state.nodes.slice(1).map((n) => startNode(state, n.index)));
    await registerNamespace(state, log);
    if (opts.loadBalancer !== false) {
      log('[cluster] starting HAProxy…');
      await startLoadBalancer(state, {
        port: ports.lb,
        configFile: path.join(dir, 'haproxy.cfg'),
        statsSocket: path.join(dir, 'haproxy.sock'),
        logFile: path.join(dir, 'haproxy.log'),
      });
    }
    return state;
  } catch (err) {
    await clusterDown(dir).catch(() => undefined);
    throw err;
  }
}

async function stopPid(pid: number | undefined, marker: string, graceMs: number): Promise<boolean> {
  if (!isOurProcess(pid, marker)) return false;
  process.kill(pid!, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurProcess(pid, marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isOurProcess(pid, marker)) process.kill(pid!, 'SIGKILL');
  return true;
}

/** What `down` stopped. */
export interface ClusterDownResult {
  dir: string;
  stopped: Array<{ name: string; pid: number }>;
  postgresStopped: boolean;
}

/**
 * Stops exactly the processes recorded in `<dir>/state.json` (SIGTERM, then SIGKILL after a grace
 * period), and the PostgreSQL server when `up` started it. Logs and configs stay in the folder.
 */
export async function clusterDown(dir: string = DEFAULT_CLUSTER_DIR, graceMs = 15_000): Promise<ClusterDownResult> {
  const state = readClusterState(path.resolve(dir));
  if (!state) throw new ClusterUsageError(`no cluster in ${path.resolve(dir)} (no state.json); nothing to stop`);
  const stopped: ClusterDownResult['stopped'] = [];
  const lb = state.loadBalancer;
  if (lb?.pid && (await stopPid(lb.pid, lb.configFile, graceMs))) stopped.push({ name: 'haproxy', pid: lb.pid });
  await Promise.all(
    state.nodes.map(async (n) => {
      if (n.pid && (await stopPid(n.pid, n.configFile, graceMs))) stopped.push({ name: n.name, pid: n.pid });
    }),
  );
  stopPostgres(state.postgres);
  fs.rmSync(stateFile(state.dir), { force: true });
  return { dir: state.dir, stopped, postgresStopped: Boolean(state.postgres.dataDir) };
}

/** One node as `status` reports it. */
export interface NodeStatus {
  name: string;
  pid?: number;
  running: boolean;
  frontend: string;
  frontendAnswers: boolean;
  /** Per service: alive in the membership ring (a heartbeat within {@link RING_LIVENESS_MS}). */
  ring: Record<string, boolean>;
  /** The history shards it owns, as the shards table says. */
  shards: number[];
}

/** What `status` reports. */
export interface ClusterStatus {
  dir: string;
  address: string;
  namespace: string;
  numHistoryShards: number;
  nodes: NodeStatus[];
  /** Shards whose owner is no running node's history service (moving, or not yet taken). */
  orphanShards: number[];
  loadBalancer?: { address: string; running: boolean; backends: BackendStat[] };
  membership: MembershipRow[];
}

/**
 * A membership row counts as alive while its last heartbeat is this recent: the server's own cutoff
 * (hosts heartbeat about every 10 s; rows stay in the table for 48 h).
 */
export const RING_LIVENESS_MS = 20_000;

/** The cluster's state: processes, frontends answering, ring membership, shard owners, HAProxy. */
export async function clusterStatus(dir: string = DEFAULT_CLUSTER_DIR): Promise<ClusterStatus> {
  const state = readClusterState(path.resolve(dir));
  if (!state) throw new ClusterUsageError(`no cluster in ${path.resolve(dir)} (no state.json); start one with "steadfast cluster up"`);
  const [membership, shards] = await Promise.all([
    readMembership(state.postgres.url, state.databases.database).catch(() => [] as MembershipRow[]),
    readShards(state.postgres.url, state.databases.database).catch(() => []),
  ]);
  const now = Date.now();
  const nodes = await Promise.all(
    state.nodes.map(async (n): Promise<NodeStatus> => {
      const running = isOurProcess(n.pid, n.configFile);
      const ring = Object.fromEntries(
        NODE_SERVICES.map((s) => {
          const row = membership.find((m) => m.role === s && m.address.endsWith(`:${n.ports.membership[s]}`));
          return [s, Boolean(row && now - row.lastHeartbeat < RING_LIVENESS_MS)];
        }),
      );
      return {
        name: n.name,
        pid: running ? n.pid : undefined,
        running,
        frontend: frontendAddress(n),
        frontendAnswers: running && (await frontendAnswers(frontendAddress(n))),
        ring,
        shards: shards.filter((s) => s.ownerAddress === `127.0.0.1:${n.ports.grpc.history}`).map((s) => s.shardId),
      };
    }),
  );
  const owned = new Set(nodes.filter((n) => n.running).flatMap((n) => n.shards));
  const lb = state.loadBalancer;
  const lbRunning = Boolean(lb && isOurProcess(lb.pid, lb.configFile));
  return {
    dir: state.dir,
    address: state.address,
    namespace: state.namespace,
    numHistoryShards: state.numHistoryShards,
    nodes,
    orphanShards: Array.from({ length: state.numHistoryShards }, (_, i) => i + 1).filter((s) => !owned.has(s)),
    loadBalancer: lb
      ? {
          address: `127.0.0.1:${lb.port}`,
          running: lbRunning,
          backends: lbRunning ? await readBackendStats(lb.statsSocket).catch(() => []) : [],
        }
      : undefined,
    membership,
  };
}

/** Which node's history service owns each shard now (by the shards table), keyed by shard id. */
export async function shardOwners(state: ClusterState): Promise<Map<number, number | undefined>> {
  const rows = await readShards(state.postgres.url, state.databases.database);
  return new Map(rows.map((r) => [r.shardId, state.nodes.find((n) => r.ownerAddress === `127.0.0.1:${n.ports.grpc.history}`)?.index]));
}
