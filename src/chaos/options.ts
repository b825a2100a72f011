/**
 * The options of a chaos run, validated with zod: what the CLI (`steadfast chaos`), the script
 * (`npm run chaos`) and tests pass to `runChaos`. Every bound is explicit, so a run is bounded in
 * count and in time.
 */
import { z } from 'zod';
import { duration } from '../common/schemas';

const rate = (name: string) =>
  z.number({ error: `${name} must be a probability between 0 and 1` }).min(0, `${name} must be ≥ 0`).max(1, `${name} must be ≤ 1`);

/** The schema; see the field descriptions. */
export const ChaosOptionsSchema = z
  .object({
    /** How many workflow runs to start. */
    workflows: z.int().min(1).max(5_000).default(10),
    /** Workflow types to run, round-robin (each must be under chaos in the project); default all of them. */
    types: z.array(z.string().min(1)).min(1).optional(),
    /** Per activity call of a run: probability of each injected fault (sum ≤ 1). */
    rates: z
      .object({
        transient: rate('rates.transient').default(0.2),
        permanent: rate('rates.permanent').default(0.05),
        timeout: rate('rates.timeout').default(0.05),
        lostAck: rate('rates.lostAck').default(0.1),
      })
      .strict()
      .default({ transient: 0.2, permanent: 0.05, timeout: 0.05, lostAck: 0.1 })
      .refine((r) => r.transient + r.permanent + r.timeout + r.lostAck <= 1, {
        message: 'the fault rates must add up to at most 1 (at most one fault per activity call)',
      }),
    /** Worker processes to run at once. */
    workers: z.int().min(1).max(8).default(2),
    /**
     * Worker SIGKILLs, at seeded-random moments within `killWindowSeconds` of the first run's start.
     * Each is carried out: a kill hits a ready worker once the pool is whole again (the previous
     * victim's replacement polling), and runs due after a waiting kill wait for it.
     */
    kills: z.int().min(0).max(2_000).default(1),
    /** The window of the kills and the restart; the runs start evenly over it, the last at its end. */
    killWindowSeconds: z.number().positive().max(7_200).default(8),
    /** Start a replacement for each killed worker (a supervisor's job in production). */
    respawn: z.boolean().default(true),
    /**
     * Run the workers under a failover supervisor (`steadfast worker --processes`): it fails a
     * killed worker's in-flight attempts at once, resets its runs' sticky queues, and starts its
     * replacement from a bundle built once. The supervisor always replaces killed workers.
     */
    supervisor: z.boolean().default(false),
    /**
     * The runs' workflow task timeout (default: Steadfast's, 5 s): how long a workflow task held by
     * a killed worker stalls its run. Shorter values recover sooner and cost false timeouts on a
     * saturated worker (docs/PERFORMANCE.md measures both).
     */
    workflowTaskTimeout: duration.optional(),
    /** The workers' sticky schedule-to-start timeout (`STEADFAST_STICKY_TIMEOUT`; default Steadfast's, 2 s). */
    stickyTimeout: duration.optional(),
    /** Restart the Temporal server once, at a seeded-random moment within the kill window (dev target only). */
    serverRestart: z.boolean().default(false),
    /**
     * Where the runs go: `dev`, a dev server of the harness's own; `cluster`, the running multi-node
     * cluster of `steadfast cluster up` (in `clusterDir`), whose server nodes it may kill.
     */
    target: z.enum(['dev', 'cluster']).default('dev'),
    /** The cluster's folder (default `.steadfast/cluster`). */
    clusterDir: z.string().min(1).optional(),
    /** Server-node SIGKILLs (cluster target), at seeded-random moments within the kill window, one node down at a time. */
    nodeKills: z.int().min(0).max(20).default(0),
    /** How long a killed node stays down before the harness restarts it. */
    nodeDownSeconds: z.number().min(0).max(120).default(8),
    /** Seed of every random choice; printed, so a run can be repeated. Random when absent. */
    seed: z.int().min(0).max(2 ** 31 - 1).optional(),
    /** Hard limit of the whole run; runs still open then count as not terminal. */
    timeLimitSeconds: z.number().positive().max(14_400).default(300),
    /** Where to write the HTML report; default `.steadfast/chaos/<stamp>-seed<seed>/report.html`. */
    reportFile: z.string().min(1).optional(),
    /** Effect store URL for this run; default a fresh SQLite file in the run's directory. */
    store: z.string().min(1).optional(),
    /** Print the result as JSON instead of the summary. */
    json: z.boolean().default(false),
    /** Show a progress bar (default: when stderr is a terminal and not --json). */
    progress: z.boolean().optional(),
  })
  .strict();

/** Validated chaos options (`types` filled in with every known type when not given). */
export type ChaosOptions = z.output<typeof ChaosOptionsSchema> & { types: string[] };
/** Chaos options as a caller writes them (defaults may be left out). */
export type ChaosOptionsInput = z.input<typeof ChaosOptionsSchema>;

/** Bad chaos options; the message names each field and what was expected. Exit code 2. */
export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError';
}

/**
 * Validates options; `knownTypes` are the workflow types the harness can run.
 * @throws ChaosUsageError listing every problem as `field: what was expected`
 */
export function parseChaosOptions(input: unknown, knownTypes: readonly string[]): ChaosOptions {
  const parsed = ChaosOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ChaosUsageError(`invalid chaos options:\n${lines.join('\n')}`);
  }
  if (!knownTypes.length) {
    throw new ChaosUsageError(
      'invalid chaos options:\n  types: this project declares no workflow type; declare them in workflowTypes of steadfast.config.ts ' +
        '(defineWorkflowType, with an example input), or list chaos types in chaos.types',
    );
  }
  const types = parsed.data.types ?? [...knownTypes];
  const unknown = types.filter((t) => !knownTypes.includes(t));
  if (unknown.length) {
    throw new ChaosUsageError(
      `invalid chaos options:\n  types: unknown workflow type(s) ${unknown.join(', ')}; expected some of ${knownTypes.join(', ')}`,
    );
  }
  if (parsed.data.target === 'dev' && parsed.data.nodeKills > 0) {
    throw new ChaosUsageError('invalid chaos options:\n  nodeKills: server-node kills need --target cluster (a dev server is one process)');
  }
  if (parsed.data.target === 'cluster' && parsed.data.serverRestart) {
    throw new ChaosUsageError('invalid chaos options:\n  serverRestart: with --target cluster, use --node-kills (the cluster is never down as a whole)');
  }
  if (parsed.data.supervisor && !parsed.data.respawn) {
    throw new ChaosUsageError('invalid chaos options:\n  respawn: a supervisor always replaces killed workers; --no-respawn needs running without --supervisor');
  }
  const { kills, workers, respawn } = parsed.data;
  if (!respawn && kills > Math.max(1, workers - 1)) {
    throw new ChaosUsageError(
      `invalid chaos options:\n  kills: without replacements (--no-respawn) each kill must leave a ready worker, so at most ${Math.max(1, workers - 1)} with ${workers} worker(s); got ${kills}`,
    );
  }
  if (parsed.data.store && !/^(sqlite:|postgres(ql)?:\/\/)/.test(parsed.data.store)) {
    throw new ChaosUsageError(`invalid chaos options:\n  store: expected "sqlite:<file>" or a "postgres://" URL, got "${parsed.data.store}"`);
  }
  return { ...parsed.data, types };
}
