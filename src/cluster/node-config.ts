/**
 * One server node's configuration: its ports and the config file the Temporal server reads.
 *
 * Every node runs all four services (frontend, history, matching, worker) in one process, on
 * loopback. Ports are distinct per node and per service, membership ports included; nodes find each
 * other through the `cluster_membership` table, so no seed list is needed. `clusterMetadata` is the
 * same on every node. The file is written as JSON, which is YAML too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TIMER_MAX_TIME_SHIFT } from '../platform/servers';

/** The services each node runs. */
export const NODE_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type NodeService = (typeof NODE_SERVICES)[number];

/** A node's ports. */
export interface NodePorts {
  grpc: Record<NodeService, number>;
  membership: Record<NodeService, number>;
  /** The frontend's HTTP API. */
  http: number;
  pprof: number;
  /** Prometheus metrics (`http://127.0.0.1:<metrics>/metrics`). */
  metrics: number;
}

/** How many ports one node takes; nodes are {@link NODE_PORT_STRIDE} apart from a base port. */
export const PORTS_PER_NODE = 11;
export const NODE_PORT_STRIDE = 100;

/**
 * Node `index`'s ports from a base: frontend = base + 100·index, then history, matching, worker,
 * HTTP, membership ×4, pprof, metrics (the layout of Temporal's own samples, shifted per node).
 */
export function portsFromBase(base: number, index: number): NodePorts {
  const p = base + NODE_PORT_STRIDE * index;
  return {
    grpc: { frontend: p, history: p + 1, matching: p + 2, worker: p + 3 },
    http: p + 4,
    membership: { frontend: p + 5, history: p + 6, matching: p + 7, worker: p + 8 },
    pprof: p + 9,
    metrics: p + 10,
  };
}

/** Every port of a node, for a free-port check. */
export function allPorts(ports: NodePorts): number[] {
  return [...Object.values(ports.grpc), ...Object.values(ports.membership), ports.http, ports.pprof, ports.metrics];
}

/** Where the cluster keeps its data: a PostgreSQL server and the two databases on it. */
export interface PersistenceTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The history/execution database. */
  database: string;
  visibilityDatabase: string;
}

/** What a node's config file is made from. */
export interface NodeConfigInput {
  index: number;
  ports: NodePorts;
  /** Node 0's frontend: the cluster's address in `clusterMetadata` (the same on every node). */
  clusterAddress: string;
  numHistoryShards: number;
  persistence: PersistenceTarget;
  dynamicConfigFile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * Connection pool per service and store. Each node opens one pool per service (four), so the
 * cluster holds up to 3 × 4 × (8 + 2) connections: well under PostgreSQL's default of 100 plus
 * what the tests' own stores use, and enough for a loopback cluster.
 */
const MAX_CONNS = 8;
const MAX_VISIBILITY_CONNS = 2;

/** The server's configuration for one node, as an object (written by {@link writeNodeConfig}). */
export function nodeConfig(input: NodeConfigInput): Record<string, unknown> {
  const { ports, persistence } = input;
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${persistence.host}:${persistence.port}`,
      connectProtocol: 'tcp',
      user: persistence.user,
      password: persistence.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  return {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.numHistoryShards,
      datastores: {
        'postgres-default': datastore(persistence.database, MAX_CONNS),
        'postgres-visibility': datastore(persistence.visibilityDatabase, MAX_VISIBILITY_CONNS),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: ports.pprof },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` } },
    },
    services: Object.fromEntries(
      NODE_SERVICES.map((s) => [
        s,
        {
          rpc: {
            grpcPort: ports.grpc[s],
            membershipPort: ports.membership[s],
            bindOnLocalHost: true,
            ...(s === 'frontend' ? { httpPort: ports.http } : {}),
          },
        },
      ]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: input.clusterAddress },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Dynamic configuration shared by the nodes: what Steadfast's workflows and CLI rely on and the
 * dev server turns on too (updates, eager activities, long ids, search attributes usable at once),
 * and the dev servers' timer read-ahead ({@link TIMER_MAX_TIME_SHIFT}), so retries fire on time.
 */
export const DYNAMIC_CONFIG: Record<string, Array<{ value: unknown }>> = {
  'limit.maxIDLength': [{ value: 255 }],
  'frontend.enableUpdateWorkflowExecution': [{ value: true }],
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': [{ value: true }],
  'system.enableActivityEagerExecution': [{ value: true }],
  'system.enableEagerWorkflowStart': [{ value: true }],
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
  'history.timerProcessorMaxTimeShift': [{ value: TIMER_MAX_TIME_SHIFT }],
};

/** Writes the node's config file (JSON, which the server reads as YAML) and returns its path. */
export function writeNodeConfig(dir: string, input: NodeConfigInput): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, JSON.stringify(nodeConfig(input), null, 2) + '\n');
  return file;
}
