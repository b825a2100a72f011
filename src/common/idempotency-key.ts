/**
 * The shape of an idempotency key. Sandbox-safe (plain functions over strings), so workflow code
 * builds keys with it and the activity side, `verifyStore` and `steadfast store prune` read them.
 *
 *   run-scoped (default)   <namespace>/run/<workflowId>/<firstExecutionRunId>/<step>
 *   business scope         <namespace>/scope/<scope>/<step>
 *
 * Every component but the step is percent-encoded (`encodeURIComponent`), so none contains a `/`,
 * and the second names the shape: a key splits back into exactly its components, the step being
 * all that follows them (it may contain `/`, as in `batch-2/stage-cutting`). So two distinct
 * (namespace, scope, step) triples never produce the same key, and a business scope is never
 * mistaken for a run chain.
 *
 * Why the first execution's run id: it names one logical run. Continue-as-new and a reset keep it
 * (the reset run's started event is copied from the run it resets), while a new run that reuses
 * the workflow id gets a new one, so it can never read, repeat or undo another run's effects.
 */

/** One run chain: a run and everything a continue-as-new or a reset made from it. */
export interface RunChain {
  /** The Temporal namespace the run belongs to (`workflowInfo().namespace`). */
  namespace: string;
  /** The run's workflow id. */
  workflowId: string;
  /** `workflowInfo().firstExecutionRunId`; the handle's `firstExecutionRunId` on the client side. */
  firstExecutionRunId: string;
}

/** What a key says about where it belongs. */
export type ParsedStepKey =
  | ({ kind: 'run'; step: string } & RunChain)
  | { kind: 'scope'; namespace: string; scope: string; step: string };

const enc = (s: string): string => encodeURIComponent(s);

function nonEmpty(field: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`step key: expected a non-empty ${field}`);
  return value;
}

/** The prefix that every key of one run chain starts with (for `LIKE 'prefix%'` queries). */
export function chainKeyPrefix(chain: RunChain): string {
  const parts = [chain.namespace, 'run', chain.workflowId, chain.firstExecutionRunId];
  nonEmpty('namespace', chain.namespace);
  nonEmpty('workflowId', chain.workflowId);
  nonEmpty('firstExecutionRunId', chain.firstExecutionRunId);
  return `${parts.map(enc).join('/')}/`;
}

/** The key of `step` in one run chain. */
export function runStepKey(chain: RunChain, step: string): string {
  return `${chainKeyPrefix(chain)}${nonEmpty('step', step)}`;
}

/** The key of `step` under an explicit business scope (an order id, a patient id) in a namespace. */
export function scopedStepKey(namespace: string, scope: string, step: string): string {
  return `${enc(nonEmpty('namespace', namespace))}/scope/${enc(nonEmpty('scope', scope))}/${nonEmpty('step', step)}`;
}

/**
 * The key of runs started before keys were run-scoped (`<workflowId>/<step>`, unescaped). Only for
 * reading old stores and replaying old histories.
 */
export function legacyStepKey(scope: string, step: string): string {
  return `${scope}/${step}`;
}

/** Splits a key made by {@link runStepKey} or {@link scopedStepKey}; undefined for any other string. */
export function parseStepKey(key: string): ParsedStepKey | undefined {
  const parts = key.split('/');
  const [ns, kind] = parts;
  const take = (n: number): string[] | undefined => {
    if (parts.length <= n) return undefined;
    const head = parts.slice(0, n);
    try {
      const decoded = head.map((p) => decodeURIComponent(p));
      // Only canonical encodings count, so a legacy key is not taken for a new one by accident.
      if (decoded.some((p, i) => p.length === 0 || enc(p) !== head[i])) return undefined;
      const step = parts.slice(n).join('/');
      return step ? [...decoded, step] : undefined;
    } catch {
      return undefined;
    }
  };
  if (ns === undefined) return undefined;
  if (kind === 'run') {
    const got = take(4);
    if (!got) return undefined;
    const [namespace, , workflowId, firstExecutionRunId, step] = got;
    return { kind: 'run', namespace, workflowId, firstExecutionRunId, step };
  }
  if (kind === 'scope') {
    const got = take(3);
    if (!got) return undefined;
    const [namespace, , scope, step] = got;
    return { kind: 'scope', namespace, scope, step };
  }
  return undefined;
}

/** True when two keys belong to the same run chain (both run-scoped, same namespace, workflow id and first run). */
export function sameRunChain(a: string, b: string): boolean {
  const pa = parseStepKey(a);
  const pb = parseStepKey(b);
  return (
    pa?.kind === 'run' &&
    pb?.kind === 'run' &&
    pa.namespace === pb.namespace &&
    pa.workflowId === pb.workflowId &&
    pa.firstExecutionRunId === pb.firstExecutionRunId
  );
}

/**
 * Which run chain a run belongs to, which is what its keys are made of. Without
 * `firstExecutionRunId` and `namespace`, the run is taken for one that started before keys were
 * run-scoped (`<workflowId>/<step>`).
 */
export interface RunKeys {
  /** The run's workflow id. */
  workflowId: string;
  /** The run's namespace; absent for a run whose keys are not run-scoped. */
  namespace?: string;
  /** The run id of its chain's first run (`firstExecutionRunId`); absent for a run whose keys are not run-scoped. */
  firstExecutionRunId?: string;
}

function chainOf(run: RunKeys): RunChain | undefined {
  return run.firstExecutionRunId && run.namespace
    ? { namespace: run.namespace, workflowId: run.workflowId, firstExecutionRunId: run.firstExecutionRunId }
    : undefined;
}

/** The key of `step` in a run (see {@link RunKeys}). */
export function runKeyOf(run: RunKeys, step: string): string {
  const chain = chainOf(run);
  return chain ? runStepKey(chain, step) : legacyStepKey(run.workflowId, step);
}

/** The prefix of every key of a run (for `LIKE 'prefix%'`); see {@link RunKeys}. */
export function runKeyPrefix(run: RunKeys): string {
  const chain = chainOf(run);
  return chain ? chainKeyPrefix(chain) : `${run.workflowId}/`;
}

/** The step name of one of a run's keys (the inverse of {@link runKeyOf}). */
export function stepOfRunKey(run: RunKeys, key: string): string {
  return key.slice(runKeyPrefix(run).length);
}
