/**
 * A production-shaped Temporal cluster on loopback: three server nodes over PostgreSQL, a fixed
 * shard count, HAProxy in front (`steadfast cluster up | down | status`).
 *
 * @example
 * const state = await clusterUp({ dir: '/tmp/c', port: 0, pgUrl });
 * killNode(state, 2);            // a crash: the ring moves node 2's shards to the survivors
 * await startNode(state, 2);     // it rejoins and takes its share back
 * await clusterDown('/tmp/c');
 */
export {
  clusterDown,
  clusterStatus,
  clusterUp,
  ClusterUsageError,
  DEFAULT_CLUSTER_DIR,
  DEFAULT_CLUSTER_PORT,
  DEFAULT_NODES,
  DEFAULT_SHARDS,
  frontendAddress,
  frontendAnswers,
  isOurProcess,
  killNode,
  readClusterState,
  RING_LIVENESS_MS,
  shardOwners,
  startNode,
  type ClusterDownResult,
  type ClusterState,
  type ClusterStatus,
  type ClusterUpOptions,
  type LoadBalancerState,
  type NodeState,
  type NodeStatus,
} from './cluster';
export { ClusterProvisioningError, CLUSTER_BIN_DIR, provisionCluster, TEMPORAL_SERVER_VERSION, type ClusterBinaries } from './binaries';
export { LoadBalancerProvisioningError, readBackendStats, type BackendStat } from './load-balancer';
export { readMembership, readShards, shardOfWorkflow, type MembershipRow, type ShardRow } from './postgres';
export { firstProgressAfter, NodeKiller, nodeKillFaults, type NodeKillFault, type NodeKillRecord, type RunOnShard } from './node-kills';
