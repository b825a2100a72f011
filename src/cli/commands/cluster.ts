/**
 * `steadfast cluster up | down | status`: the multi-node Temporal cluster (src/cluster) as CLI
 * commands. Errors map to the CLI's exit codes: bad options or no cluster → 2; a cluster that
 * cannot be provisioned or started → 1, with what was tried.
 */
import type * as ClusterModule from '../../cluster';
import { OperationError, UsageError } from '../cli-errors';
import { ok, unsatisfied, type CommandOutput } from './output';

/* The cluster module loads the SDK's client; required on use, like the other process commands. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cluster = () => require('../../cluster') as typeof ClusterModule;

/** Options of `cluster up`. */
export interface ClusterUpFlags {
  dir?: string;
  pgUrl?: string;
  database?: string;
  nodes: number;
  shards: number;
  port: number;
  namespace: string;
  lb: boolean;
  build: boolean;
}

function mapError(err: unknown, field: string): never {
  const c = cluster();
  if (err instanceof c.ClusterUsageError) {
    throw new UsageError({ code: 'cluster-usage', message: err.message, field, expected: 'see "steadfast cluster --help"' }, { cause: err });
  }
  if (err instanceof c.ClusterProvisioningError || err instanceof c.LoadBalancerProvisioningError) {
    throw new OperationError({ code: 'cluster-provisioning', message: err.message }, { cause: err });
  }
  throw new OperationError({ code: 'cluster-failed', message: (err as Error).message ?? String(err) }, { cause: err });
}

/** `cluster up`. Progress goes to stderr, so `--json` stdout stays one document. */
export async function clusterUp(flags: ClusterUpFlags): Promise<CommandOutput> {
  const c = cluster();
  let state: ClusterModule.ClusterState;
  try {
    state = await c.clusterUp({
      dir: flags.dir,
      pgUrl: flags.pgUrl,
      database: flags.database,
      nodes: flags.nodes,
      numHistoryShards: flags.shards,
      port: flags.port,
      namespace: flags.namespace,
      loadBalancer: flags.lb,
      provision: flags.build ? 'build' : 'find',
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (err) {
    mapError(err, '--dir');
  }
  const text = [
    `Temporal cluster ${state.version}: ${state.nodes.length} nodes, ${state.numHistoryShards} history shards, namespace ${state.namespace}`,
    `  clients: TEMPORAL_ADDRESS=${state.address}${state.loadBalancer ? ' (HAProxy)' : ''}`,
    ...state.nodes.map((n) => `  ${n.name}: pid ${n.pid}, frontend 127.0.0.1:${n.ports.grpc.frontend}, log ${n.logFile}`),
    `  PostgreSQL: ${state.postgres.url}${state.postgres.dataDir ? ` (started here, data in ${state.postgres.dataDir})` : ''}`,
    `  state: ${state.dir}/state.json; stop it with "steadfast cluster down"`,
  ].join('\n');
  return ok(state, text);
}

/** `cluster down`. */
export async function clusterDown(dir?: string): Promise<CommandOutput> {
  const c = cluster();
  let result: ClusterModule.ClusterDownResult;
  try {
    result = await c.clusterDown(dir);
  } catch (err) {
    mapError(err, '--dir');
  }
  const text =
    (result.stopped.length ? result.stopped.map((s) => `stopped ${s.name} (pid ${s.pid})`).join('\n') : 'no process of the cluster was running') +
    (result.postgresStopped ? '\nstopped PostgreSQL' : '');
  return ok(result, text);
}

/** `cluster status`: exit 0 when every node runs and answers and every shard has an owner, else 1. */
export async function clusterStatus(dir?: string): Promise<CommandOutput> {
  const c = cluster();
  let status: ClusterModule.ClusterStatus;
  try {
    status = await c.clusterStatus(dir);
  } catch (err) {
    mapError(err, '--dir');
  }
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const lines = [
    `cluster in ${status.dir}: clients use ${status.address}, namespace ${status.namespace}, ${status.numHistoryShards} shards`,
    'node    pid      running  frontend               answers  ring (frontend/history/matching/worker)  shards',
    ...status.nodes.map(
      (n) =>
        `${n.name.padEnd(8)}${String(n.pid ?? '-').padEnd(9)}${yes(n.running).padEnd(9)}${n.frontend.padEnd(23)}${yes(n.frontendAnswers).padEnd(9)}` +
        `${Object.values(n.ring).map(yes).join('/').padEnd(41)}${n.shards.join(',') || '-'}`,
    ),
    status.orphanShards.length ? `shards without a running owner: ${status.orphanShards.join(', ')}` : 'every shard has a running owner',
  ];
  if (status.loadBalancer) {
    lines.push(
      `HAProxy ${status.loadBalancer.address}: ${status.loadBalancer.running ? 'running' : 'not running'}` +
        (status.loadBalancer.backends.length
          ? `; ${status.loadBalancer.backends.map((b) => `${b.name} ${b.status} (${b.current} connections)`).join(', ')}`
          : ''),
    );
  }
  const healthy = status.nodes.every((n) => n.running && n.frontendAnswers) && status.orphanShards.length === 0;
  return healthy ? ok(status, lines.join('\n')) : unsatisfied(status, lines.join('\n'));
}
