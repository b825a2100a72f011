/**
 * Fault records from real events: a run's event history, the attempt observer's samples and the
 * harness's kill log.
 *
 * Why three sources: with a retry policy, the server writes no event for an activity attempt that
 * fails and is retried. The history holds only the *last* attempt: `ActivityTaskStarted` (its start
 * time, its attempt number and the previous attempt's failure, without a time) and then
 * `ActivityTaskCompleted` / `Failed` / `TimedOut`. The times of the attempts in between exist only
 * on the server's pending-activity record (`DescribeWorkflowExecution`: `lastStartedTime`,
 * `lastAttemptCompleteTime`, `scheduledTime`, `currentRetryInterval`), which the
 * {@link AttemptObserver} samples while the run is open. Workflow task timeouts *are* events
 * (`WorkflowTaskTimedOut`), and kill times come from the harness, which did the killing.
 *
 * | fault                                  | injectedAt                     | detectedAt                              | recoveredAt                     |
 * | -------------------------------------- | ------------------------------ | --------------------------------------- | ------------------------------- |
 * | activity attempt failed (transient, permanent, lost-ack) | the attempt's start, else ≈ its failure (it fails within ms) | the server recording the failure | the step's `ActivityTaskCompleted` |
 * | activity attempt timed out (hang)      | the attempt's start (observed)  | start (or last heartbeat) + the timeout: when the server's timer fires | the step's `ActivityTaskCompleted` |
 * | attempt timed out on a killed worker   | the kill (harness)             | as for a hang                           | the step's `ActivityTaskCompleted` |
 * | attempt failed by a supervisor (`WorkerProcessExited`) | the kill (harness) | the server recording the failure; when the observer missed it, at the latest the retry's start | the step's `ActivityTaskCompleted` |
 * | workflow task timed out / failed       | the kill, when its worker was killed | `WorkflowTaskTimedOut` / `Failed` event | the next `WorkflowTaskCompleted` |
 *
 * A business rejection (`CardDeclined`, `OutOfStock`, …) is the answer the run was set up to get,
 * not a fault: it makes no record.
 */
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { WORKER_PROCESS_EXITED } from '../common/failure-types';
import type { FaultRecord, ObservedFaultKind } from './metrics';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;

/** One worker SIGKILL, as the harness recorded it. */
export interface KillRecord {
  /** When the signal was sent (ms since the epoch). */
  at: number;
  pid: number;
  /** The killed worker's identity as the server knows it (`<pid>@<host>` by default). */
  workerIdentity: string;
  /**
   * The other workers that were polling when it was killed: the survivors its work could move to.
   * The chaos harness never leaves none when it runs more than one worker.
   */
  survivors?: number;
}

/**
 * One failed activity attempt, from the server's pending-activity record (see the module header).
 * `attempt` is the attempt that failed.
 */
export interface AttemptFailure {
  workflowId: string;
  /** The run of the chain the attempt belongs to, when known. */
  runId?: string;
  activityId: string;
  activityType: string;
  attempt: number;
  /** The failed attempt's start, when it was seen running. */
  startedAt?: number;
  /** The failed attempt's last heartbeat, when it was seen running. */
  lastHeartbeatAt?: number;
  /**
   * When the server recorded the failure (its `lastAttemptCompleteTime`). Undefined for a
   * timeout, whose detection {@link extractFaultRecords} derives from the start and the timeout.
   */
  detectedAt?: number;
  /** An ApplicationFailure's `type`, or `timeout:<TIMEOUT_TYPE_…>`. */
  failureType?: string;
  failureMessage?: string;
  workerIdentity?: string;
}

/** Failure types that the fault injector throws (`activities/fault-injection.ts`), by kind. */
const SIMULATED: Record<string, ObservedFaultKind> = {
  SimulatedTransientFault: 'transient',
  SimulatedPermanentFault: 'permanent',
  SimulatedLostAck: 'lost-ack',
};


/** The step name used for workflow task faults. */
export const WORKFLOW_TASK_STEP = 'workflow task';

/** `ApplicationFailure` type or `timeout:<type>` of a failure, looking through activity-failure wrappers. */
export function failureTypeOf(failure: Failure | null | undefined): string | undefined {
  for (let f = failure; f; f = f.cause) {
    if (f.applicationFailureInfo?.type) return f.applicationFailureInfo.type;
    if (f.timeoutFailureInfo) return `timeout:${timeoutTypeName(f.timeoutFailureInfo.timeoutType)}`;
  }
  return undefined;
}

function timeoutTypeName(t: unknown): string {
  // Enums arrive as numbers or as their names, depending on how the history was decoded.
  const names = ['UNSPECIFIED', 'START_TO_CLOSE', 'SCHEDULE_TO_START', 'SCHEDULE_TO_CLOSE', 'HEARTBEAT'];
  if (typeof t === 'number') return `TIMEOUT_TYPE_${names[t] ?? t}`;
  return String(t ?? 'TIMEOUT_TYPE_UNSPECIFIED');
}

function ms(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

function time(e: HistoryEvent): number {
  return optionalTsToMs(e.eventTime) ?? NaN;
}

interface ActivityStep {
  activityId: string;
  activityType: string;
  startToCloseMs?: number;
  heartbeatMs?: number;
  lastStartedAt?: number;
  lastAttempt?: number;
  lastIdentity?: string;
  lastFailureBefore?: Failure;
  completedAt?: number;
  finalFailure?: { at: number; failure?: Failure };
}

/** The latest kill of `identity` (or of any worker, when the identity is unknown) within [from, to]. */
function killWithin(kills: readonly KillRecord[], identity: string | undefined, from: number, to: number) {
  return kills
    .filter((k) => (identity === undefined || k.workerIdentity === identity) && k.at >= from && k.at <= to)
    .sort((a, b) => b.at - a.at)[0];
}

function kindOfFailureType(type: string | undefined): ObservedFaultKind {
  if (type && SIMULATED[type]) return SIMULATED[type];
  if (type?.startsWith('timeout:')) return 'timeout';
  return 'other';
}

/** Inputs of {@link extractFaultRecords} besides the history. */
export interface ExtractOptions {
  workflowId: string;
  /** The run whose history this is, for a chain that continued as new (its activity ids restart). */
  runId?: string;
  workflowType?: string;
  /** Whether this run reached its correct terminal state (decided by the harness). */
  outcomeCorrect: boolean;
  kills: readonly KillRecord[];
  /** The attempt observer's samples (any run's; those of other runs are ignored). */
  attemptFailures: readonly AttemptFailure[];
  /**
   * Business rejections of the run's type (a frozen card, missing stock): answers the run is set up
   * for, not faults. (`InvalidRequest`, `IdempotencyKeyReused` and `StepAlreadyCompensated` point
   * at bugs and stay faults.)
   */
  businessRejections?: readonly string[];
}

/**
 * The faults one run experienced, built from its history plus the observer's attempt failures and
 * the kill log (see the table in the module header). Failed attempts that the history shows but
 * the observer missed still count, with the times the history lacks left undefined.
 */
export function extractFaultRecords(events: readonly HistoryEvent[], opts: ExtractOptions): FaultRecord[] {
  const steps = new Map<string, ActivityStep>();
  const byActivityId = new Map<string, ActivityStep>();
  const wfTaskStarted = new Map<string, { at: number; identity?: string }>();
  const wfTaskScheduledAt = new Map<string, number>();
  const wfFaults: Array<{ record: FaultRecord; recovered: boolean }> = [];
  let lastWfIdentity: string | undefined;
  const base = { workflowId: opts.workflowId, workflowType: opts.workflowType, outcomeCorrect: opts.outcomeCorrect };

  for (const e of events) {
    const id = String(e.eventId);
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      const step: ActivityStep = {
        activityId: sched.activityId ?? id,
        activityType: sched.activityType?.name ?? '?',
        startToCloseMs: ms(sched.startToCloseTimeout),
        heartbeatMs: ms(sched.heartbeatTimeout),
      };
      steps.set(id, step);
      byActivityId.set(step.activityId, step);
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const step = steps.get(String(a.scheduledEventId));
      if (step) {
        step.lastStartedAt = time(e);
        step.lastAttempt = a.attempt ?? 1;
        step.lastIdentity = a.identity ?? undefined;
        step.lastFailureBefore = a.lastFailure ?? undefined;
      }
    } else if (e.activityTaskCompletedEventAttributes) {
      const step = steps.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
      if (step) step.completedAt = time(e);
    } else if (e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) {
      const a = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes!;
      const step = steps.get(String(a.scheduledEventId));
      if (step) step.finalFailure = { at: time(e), failure: a.failure ?? undefined };
    } else if (e.workflowTaskScheduledEventAttributes) {
      wfTaskScheduledAt.set(id, time(e));
    } else if (e.workflowTaskStartedEventAttributes) {
      const identity = e.workflowTaskStartedEventAttributes.identity ?? undefined;
      wfTaskStarted.set(id, { at: time(e), identity });
    } else if (e.workflowTaskCompletedEventAttributes) {
      const started = wfTaskStarted.get(String(e.workflowTaskCompletedEventAttributes.startedEventId));
      lastWfIdentity = started?.identity ?? lastWfIdentity;
      for (const f of wfFaults) {
        if (!f.recovered) {
          f.record.recoveredAt = time(e);
          f.recovered = true;
        }
      }
    } else if (e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes) {
      const a = e.workflowTaskTimedOutEventAttributes ?? e.workflowTaskFailedEventAttributes!;
      const detectedAt = time(e);
      const started = a.startedEventId ? wfTaskStarted.get(String(a.startedEventId)) : undefined;
      // A task that was never started timed out waiting on a sticky queue: the worker that
      // holds the run in its cache (the last one to complete a task) is the suspect.
      const identity = started?.identity ?? lastWfIdentity;
      const kill = identity ? killWithin(opts.kills, identity, -Infinity, detectedAt) : undefined;
      const injectedAt = kill?.at ?? started?.at ?? wfTaskScheduledAt.get(String(a.scheduledEventId));
      wfFaults.push({
        record: { ...base, kind: kill ? 'worker-kill' : 'other', step: WORKFLOW_TASK_STEP, injectedAt, detectedAt },
        recovered: false,
      });
    }
  }

  // Every failed attempt of every step: the observer's, then what only the history shows.
  const failures = new Map<string, AttemptFailure>();
  for (const f of opts.attemptFailures) {
    const sameRun = opts.runId === undefined || f.runId === undefined || f.runId === opts.runId;
    if (f.workflowId === opts.workflowId && sameRun) failures.set(`${f.activityId}#${f.attempt}`, f);
  }
  for (const step of steps.values()) {
    const common = { workflowId: opts.workflowId, activityId: step.activityId, activityType: step.activityType };
    if (step.finalFailure && step.lastAttempt !== undefined) {
      failures.set(`${step.activityId}#${step.lastAttempt}`, {
        ...common,
        attempt: step.lastAttempt,
        startedAt: step.lastStartedAt,
        detectedAt: step.finalFailure.at,
        failureType: failureTypeOf(step.finalFailure.failure),
        failureMessage: step.finalFailure.failure?.message ?? undefined,
        workerIdentity: step.lastIdentity,
      });
    }
    // Attempts before the last one failed; those the observer missed are known only from the
    // last attempt's `lastFailure` (for the one just before) and its attempt number.
    const retried = (step.lastAttempt ?? 1) - 1;
    const lastFailureType = failureTypeOf(step.lastFailureBefore);
    for (let attempt = retried; attempt >= 1; attempt--) {
      const key = `${step.activityId}#${attempt}`;
      if (failures.has(key)) continue;
      failures.set(key, {
        ...common,
        attempt,
        // The attempt just before the last is the last attempt's `lastFailure`; the type of an
        // earlier unobserved attempt is assumed to be that of the next one.
        failureType:
          attempt === retried
            ? (lastFailureType ?? failures.get(`${step.activityId}#${attempt + 1}`)?.failureType)
            : (failures.get(`${step.activityId}#${attempt + 1}`)?.failureType ?? lastFailureType),
        failureMessage: attempt === retried ? (step.lastFailureBefore?.message ?? undefined) : undefined,
      });
    }
  }

  const records: FaultRecord[] = [];
  for (const f of [...failures.values()].sort((a, b) => a.activityId.localeCompare(b.activityId) || a.attempt - b.attempt)) {
    if (f.failureType && opts.businessRejections?.includes(f.failureType)) continue;
    const step = byActivityId.get(f.activityId);
    let kind = kindOfFailureType(f.failureType);
    let injectedAt = f.startedAt;
    let detectedAt = f.detectedAt;
    if (kind === 'timeout') {
      // The server's timer fires exactly one timeout after the attempt's start (start-to-close)
      // or its last heartbeat (heartbeat timeout): that is when it notices.
      const heartbeat = f.failureType?.endsWith('HEARTBEAT');
      const timeoutMs = heartbeat ? step?.heartbeatMs : step?.startToCloseMs;
      const from = heartbeat ? (f.lastHeartbeatAt ?? f.startedAt) : f.startedAt;
      if (detectedAt === undefined && from !== undefined && timeoutMs !== undefined) detectedAt = from + timeoutMs;
      const runningSince = f.startedAt ?? (!heartbeat && detectedAt !== undefined && timeoutMs !== undefined ? detectedAt - timeoutMs : undefined);
      const kill =
        detectedAt !== undefined ? killWithin(opts.kills, f.workerIdentity, runningSince ?? -Infinity, detectedAt) : undefined;
      if (kill) {
        kind = 'worker-kill';
        injectedAt = kill.at;
      } else {
        injectedAt = runningSince;
      }
    } else if (f.failureType === WORKER_PROCESS_EXITED) {
      // A supervisor failed the attempt of a worker process that died: the kill of that worker
      // (or, when the attempt's worker is not known, the last kill before the failure) is the cause.
      // Known only from the history, the failure happened before the next attempt started.
      const until = detectedAt ?? step?.lastStartedAt;
      const kill =
        until !== undefined
          ? (killWithin(opts.kills, f.workerIdentity, f.startedAt ?? -Infinity, until) ??
            killWithin(opts.kills, undefined, f.startedAt ?? -Infinity, until))
          : undefined;
      kind = 'worker-kill';
      injectedAt = kill?.at ?? f.startedAt ?? detectedAt;
      // Failed within milliseconds of the kill and retried 1 ms later, such an attempt is often gone
      // before the observer samples it. When it is the one just before the last, the last attempt's
      // start bounds its detection: the server recorded the failure before it scheduled the retry.
      if (detectedAt === undefined && f.attempt === (step?.lastAttempt ?? 0) - 1) detectedAt = step?.lastStartedAt;
    } else {
      // Failures thrown by the attempt itself happen within milliseconds of its start.
      injectedAt ??= detectedAt;
    }
    const recoveredAt =
      step?.completedAt !== undefined && (detectedAt === undefined || step.completedAt >= detectedAt)
        ? step.completedAt
        : undefined;
    records.push({ ...base, kind, step: f.activityType, injectedAt, detectedAt, recoveredAt });
  }
  records.push(...wfFaults.map((f) => f.record));
  return records.sort((a, b) => (a.injectedAt ?? a.detectedAt ?? 0) - (b.injectedAt ?? b.detectedAt ?? 0));
}

/**
 * How many fault records each kill caused: the interruptions the server noticed (an attempt or a
 * workflow task that timed out on the killed worker). A kill that interrupted nothing (the worker
 * was idle, or its work had finished) is injected all the same, but it is not a fault: nothing had
 * to recover from it, so it makes no record and counts 0 here.
 */
export function killsNoticed(kills: readonly KillRecord[], records: readonly FaultRecord[]): Array<KillRecord & { noticed: number }> {
  return kills.map((k) => ({
    ...k,
    noticed: records.filter((r) => r.kind === 'worker-kill' && r.injectedAt === k.at).length,
  }));
}
