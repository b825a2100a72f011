/**
 * Workflow side of worker supervision (see `runSupervisor` in `steadfast/worker`). Bundled only
 * into the bundle a supervisor builds for its worker processes, never into the default one: the
 * sink it calls exists only in a supervised worker.
 *
 * The first activation of a run in a worker's cache tells the worker, which tells its supervisor:
 * the run is now cached there, so its next workflow tasks go to that worker's sticky queue. When the
 * worker process dies, the supervisor resets the sticky queue of exactly these runs.
 */
import {
  proxySinks,
  type ActivateInput,
  type Next,
  type Sinks,
  type WorkflowInterceptorsFactory,
  type WorkflowInternalsInterceptor,
} from '@temporalio/workflow';

/** The sink a supervised worker registers. */
export interface SupervisionSinks extends Sinks {
  supervision: {
    /** This run has just been loaded into the worker's cache. */
    cached(): void;
  };
}

const { supervision } = proxySinks<SupervisionSinks>();

class SupervisionInterceptor implements WorkflowInternalsInterceptor {
  private reported = false;

  activate(input: ActivateInput, next: Next<WorkflowInternalsInterceptor, 'activate'>): void {
    // One interceptor per run per cache entry: report once, on the first activation.
    if (!this.reported) {
      this.reported = true;
      supervision.cached();
    }
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ internals: [new SupervisionInterceptor()] });
