/**
 * The worker-process side of supervision: what a worker started by a supervisor (`runSupervisor`,
 * `steadfast worker --processes N`) tells it over the IPC channel, so that the supervisor can hand
 * the worker's in-flight work to a survivor the moment the process dies.
 *
 * Messages (child → supervisor), all plain JSON:
 *
 *   ready            the worker polls (with its identity)
 *   activity-start   an activity attempt started: its task token (base64), workflow and activity ids
 *   activity-end     that attempt's function returned or threw (its result is being reported)
 *   workflow-cached  a run was loaded into this worker's cache (its next tasks go to this worker's
 *                    sticky queue)
 *
 * A worker is supervised when it was started with an IPC channel and `STEADFAST_SUPERVISED=1`.
 */
import type { Context } from '@temporalio/activity';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  InjectedSinks,
  Next,
} from '@temporalio/worker';
import type { SupervisionSinks } from '../workflow/supervision';

/** The environment variable a supervisor sets on its worker processes. */
export const SUPERVISED_ENV = 'STEADFAST_SUPERVISED';

/** The workflow interceptor module a supervisor adds to its workers' bundle. */
export const SUPERVISION_WORKFLOW_MODULE = require.resolve('../workflow/supervision');

/** A message from a supervised worker process to its supervisor. */
export type SupervisionMessage =
  | { steadfast: 'ready'; identity: string }
  | { steadfast: 'activity-start'; taskToken: string; workflowId: string; runId: string; activityId: string; activityType: string }
  | { steadfast: 'activity-end'; taskToken: string }
  | { steadfast: 'workflow-cached'; workflowId: string; runId: string };

/** True for a message of the supervision protocol (anything else on the channel is ignored). */
export function isSupervisionMessage(m: unknown): m is SupervisionMessage {
  return typeof m === 'object' && m !== null && typeof (m as { steadfast?: unknown }).steadfast === 'string';
}

/** True when this process runs under a supervisor (an IPC channel and `STEADFAST_SUPERVISED=1`). */
export function isSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof process.send === 'function' && env[SUPERVISED_ENV] === '1';
}

/** Sends a message to the supervisor; a closed channel is not an error (the supervisor is gone). */
export function tellSupervisor(message: SupervisionMessage): void {
  if (!process.connected || !process.send) return;
  process.send(message, undefined, {}, () => undefined);
}

class SupervisedActivityInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { taskToken, workflowExecution, activityId, activityType } = this.ctx.info;
    const token = Buffer.from(taskToken).toString('base64');
    tellSupervisor({
      steadfast: 'activity-start',
      taskToken: token,
      workflowId: workflowExecution?.workflowId ?? '',
      runId: workflowExecution?.runId ?? '',
      activityId,
      activityType,
    });
    try {
      return await next(input);
    } finally {
      tellSupervisor({ steadfast: 'activity-end', taskToken: token });
    }
  }
}

/**
 * The worker options a supervised worker adds: the activity interceptor that reports attempts
 * (outermost, so that attempts failed by inner interceptors are reported too) and the sink the
 * supervision workflow module calls.
 */
export function supervisedWorkerOptions(): { activityInterceptor: ActivityInterceptorsFactory; sinks: InjectedSinks<SupervisionSinks> } {
  // The channel must not keep a worker alive after it has shut down; and a worker whose supervisor
  // is gone shuts down gracefully rather than run on unsupervised.
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return {
    activityInterceptor: (ctx) => ({ inbound: new SupervisedActivityInterceptor(ctx) }),
    sinks: {
      supervision: {
        cached: {
          fn: (info) => tellSupervisor({ steadfast: 'workflow-cached', workflowId: info.workflowId, runId: info.runId }),
          callDuringReplay: true,
        },
      },
    },
  };
}
