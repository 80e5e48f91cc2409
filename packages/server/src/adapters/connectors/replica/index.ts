/** Replicas: local, read-only copies of a connector's records (see docs/replicas.md). */
export { createReplicaConnector, REPLICA_READ_ONLY, type ReplicaConnector, type ReplicaOptions } from './connector.js';
export {
  checkSelection,
  refreshReplica,
  replicaPiiPlan,
  type GrantLike,
  type PiiPlan,
  type RefreshInput,
} from './build.js';
export {
  inspectReplicaFile,
  type ReplicaFilter,
  type ReplicaInfo,
  type ReplicaRefresh,
  type ReplicaSelection,
} from './file.js';
