/**
 * A Steadfast project: what the `steadfast` CLI needs to know about the user's own code. A project
 * declares it in `steadfast.config.ts` at its root (found from the working directory upwards):
 *
 * ```ts
 * import { defineConfig } from 'steadfast';
 * import { createActivities } from './activities';
 * import { bookTripType } from './client/types';
 *
 * export default defineConfig({
 *   workflowsPath: require.resolve('./workflows'),
 *   activities: (store) => createActivities(store),
 *   workflowTypes: [bookTripType],
 * });
 * ```
 *
 * `steadfast worker` runs a worker for `workflowsPath` and `activities`; `steadfast start <type>`
 * validates input against `workflowTypes`; `steadfast chaos` draws runs of every declared type (from its
 * example input, with generic invariants), or of the type of the same name in `chaos.types`.
 */
import type { EffectStore } from '../activity/store/types';
import type { WorkflowBundlerOptions } from '../worker/create-worker';
import type { WorkflowTypeSpec } from './workflow-type';
import type { ProjectTracing } from '../tracing/settings';

/** A project's declaration; see the module doc. */
export interface SteadfastProject {
  /** Absolute path of the module that exports the workflow functions (`require.resolve('./workflows')`). */
  workflowsPath: string;
  /** The user's own workflow interceptor modules, bundled after Steadfast's. */
  workflowInterceptorModules?: string[];
  /** Extra bundler options (a webpack hook, modules to ignore, the project's own modules to preload). */
  bundlerOptions?: WorkflowBundlerOptions;
  /** Builds the activity functions over the effect store. */
  activities(store: EffectStore): object;
  /**
   * Creates the application's own tables (the store creates Steadfast's). Called once before a
   * worker starts; must be idempotent (`CREATE TABLE IF NOT EXISTS`).
   */
  prepareStore?(store: EffectStore): Promise<void>;
  /** The workflow types the CLI may start and operate, with the zod schemas of their input and handlers. */
  workflowTypes?: WorkflowTypeSpec[];
  /**
   * Prepares business data for runs started from the CLI (`steadfast seed`); returns what to show.
   * Must be idempotent.
   */
  seed?(store: EffectStore, opts: { tag?: string }): Promise<{ json: Record<string, unknown>; text: string }>;
  /** Runs the project's demo (`steadfast demo`); resolves with the exit code. */
  demo?(): Promise<number>;
  /**
   * Workflow types under chaos with checks of their own (`ChaosWorkflowType` from `steadfast/testing`);
   * each replaces the generic type that `steadfast chaos` builds from the declaration of the same name.
   */
  chaos?: { types: unknown[] };
  /**
   * Trace runs with OpenTelemetry: `steadfast worker` and the CLI's client commands record spans
   * to a JSON Lines file (`steadfast trace <workflowId>` prints a run's tree) or send them to an
   * OTLP collector. Declaring it turns tracing on; `STEADFAST_TRACE=0` turns it off, and the
   * `STEADFAST_TRACE_FILE` / `STEADFAST_OTLP_ENDPOINT` variables win over the fields here.
   *
   * @example
   * tracing: { otlpEndpoint: 'http://127.0.0.1:4318', serviceName: 'trips' }
   */
  tracing?: ProjectTracing;
}

/**
 * Declares a project (the default export of `steadfast.config.ts`); the identity function gives
 * the declaration its type. Nothing is checked or loaded here: the CLI loads the file when a
 * command needs the project.
 *
 * @example
 * // steadfast.config.ts, at the project's root
 * import { defineConfig, defineWorkflowType } from 'steadfast';
 * import { z } from 'zod';
 * import { createActivities, prepareTables } from './activities';
 * import { bookTrip } from './workflows';
 *
 * export default defineConfig({
 *   workflowsPath: require.resolve('./workflows'),
 *   activities: (store) => createActivities(store),
 *   prepareStore: (store) => prepareTables(store),
 *   workflowTypes: [
 *     defineWorkflowType({
 *       workflow: bookTrip,
 *       summary: 'book a flight and a hotel, or neither',
 *       input: z.object({ tripId: z.string(), flight: z.string(), hotel: z.string() }).strict(),
 *       example: { tripId: 'trip-1', flight: 'LH123', hotel: 'Ritz' },
 *       activities: ['bookFlight', 'bookHotel', 'cancelFlight', 'cancelHotel'],
 *     }),
 *   ],
 * });
 */
export function defineConfig(project: SteadfastProject): SteadfastProject {
  return project;
}
