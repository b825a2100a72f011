/**
 * `steadfast/testing`: what a project's tests use. Temporal servers provisioned offline (the
 * time-skipping test server and the dev server, found on PATH, in the project's `.steadfast/bin`
 * (`npx steadfast setup`), or downloaded by the SDK when online), and the types a project uses to
 * put its workflow types under chaos.
 *
 * @example
 * import { startTimeSkippingServer } from 'steadfast/testing';
 *
 * let temporal: TemporalHandle;
 * before(async () => { temporal = await startTimeSkippingServer(); });
 * after(() => temporal.close());
 *
 * @packageDocumentation
 */
export {
  startDevServer,
  startTimeSkippingServer,
  openTemporal,
  connectExternal,
  freePort,
  type DevServerOptions,
  type TemporalHandle,
} from '../platform/servers';
export { ProvisioningError, resolveServer, type ServerKind } from '../platform/provision';
export type { ChaosWorkflowType, ChaosRunDraw, ExpectedOutcome, RunRecord as ChaosRunRecord } from '../chaos/workflow-types';
export type { ChaosFaultPlan, Rng } from '../chaos/plan';
export { verdict, type InvariantCheck, type InvariantContext, type InvariantVerdict } from '../chaos/invariants';
