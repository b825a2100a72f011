/**
 * Dev server options the benchmarks share (`temporal server start-dev` arguments); their trade-offs
 * are in docs/PERFORMANCE.md.
 */

/** One task queue partition: a poller never waits on a partition its task did not land on. */
export const ONE_PARTITION = [
  '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
];
/** History task queue readers not capped at 20 reads a second (docs/PERFORMANCE.md: what it gains, and why the dev servers Steadfast starts keep the cap). */
export const FAST_QUEUES = [
  '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000',
  '--dynamic-config-value', 'history.timerProcessorMaxPollRPS=1000',
];
