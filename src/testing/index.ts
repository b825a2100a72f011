/**
 * `steadfast/testing`: what a project's tests use (mocha-friendly: plain async functions for
 * `before`/`it`/`after`).
 *
 * - Temporal servers provisioned offline: the time-skipping test server and the dev server, found
 *   on PATH, in the project's `.steadfast/bin` (`npx steadfast setup`), or downloaded by the SDK
 *   when online.
 * - {@link runWithWorker}: a Steadfast worker around a block of test code.
 * - {@link withFaultPlan}: a fault plan on a run.
 * - {@link WorkerProcess}: a real worker process to kill mid-run and restart.
 * - {@link recordHistory} and {@link replayHistories}: replay regression tests.
 * - {@link compensationOrder}: a saga's compensations, in order, read from its history.
 * - The types a project uses to put its workflow types under chaos: {@link genericChaosType} (what
 *   `steadfast chaos` builds from each declared workflow type) and its {@link GENERIC_INVARIANTS}.
 *
 * @example
 * import assert from 'node:assert/strict';
 * import { compensationOrder, runWithWorker, startTimeSkippingServer, uniqueId, withFaultPlan, type TemporalHandle } from 'steadfast/testing';
 *
 * let temporal: TemporalHandle;
 * before(async () => { temporal = await startTimeSkippingServer(); });
 * after(() => temporal.close());
 *
 * it('compensates in reverse order', async () => {
 *   const taskQueue = uniqueId('trips');
 *   const handle = await runWithWorker(
 *     temporal,
 *     { taskQueue, workflowsPath: require.resolve('../workflows'), activities: createActivities(store) },
 *     async () => {
 *       const h = await temporal.client.workflow.start(bookTrip, {
 *         taskQueue, workflowId: uniqueId('trip'), args: [input], ...withFaultPlan({ bookCar: { kind: 'permanent' } }),
 *       });
 *       await assert.rejects(h.result());
 *       return h;
 *     },
 *   );
 *   assert.deepEqual(compensationOrder(await handle.fetchHistory()), ['cancelHotel', 'cancelFlight']);
 * });
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
export { uniqueId, waitUntil, type WaitOptions } from './wait';
export { runWithWorker, withFaultPlan, type RunWithWorkerOptions, type WorkerTarget } from './run-with-worker';
export {
  WorkerProcess,
  firstMarker,
  writeCrashPointBundle,
  type Exit,
  type WorkerProcessOptions,
  type WorkerProcessTarget,
} from './worker-process';
export { arm, release, type CrashPoint, type CrashPointMarker } from '../worker/crash-points';
export { compensationOrder, recordHistory, replayHistories, type HistoryLike } from './histories';
export type { ChaosWorkflowType, ChaosRunDraw, ExpectedOutcome, RunRecord as ChaosRunRecord } from '../chaos/workflow-types';
export { genericChaosType } from '../chaos/generic-type';
export type { HandlerSchemas, WorkflowTypeSpec } from '../config/workflow-type';
export type { FailoverProfile } from '../common/failover';
export { GENERIC_INVARIANTS, effectsAtMostOnce, compensatedRunsUndone } from '../chaos/generic-invariants';
export type { ChaosFaultPlan, Rng } from '../chaos/plan';
export { verdict, type InvariantCheck, type InvariantContext, type InvariantVerdict } from '../chaos/invariants';
