/**
 * The shape of an idempotency key. Sandbox-safe (plain functions over strings), so workflow code
 * builds keys with it and the activity side, `verifyStore` and `steadfast store prune` read them.
 *
 *   run-scoped (default)   <namespace>/<workflowId>/<firstExecutionRunId>/<step>
 *   business scope         <namespace>/<scope>/<step>
 *
 * Every component is percent-encoded (`encodeURIComponent`), so none contains a `/`: a key splits
 * back into exactly its components, and two distinct (namespace, scope, step) triples can never
 * produce the same key. The two shapes differ in their number of components, so a business scope
 * can never be mistaken for a run chain either.
 *
 * Why the first execution's run id: it names one logical run. Continue-as-new and a reset keep it
 * (the reset run's started event is copied from the run it resets), while a new run that reuses
 * the workflow id gets a new one, so it can never read, repeat or undo another run's effects.
 */

/** One run chain: a run and everything a continue-as-new or a reset made from it. */
export interface RunChain {
  namespace: string;
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
  return `${enc(nonEmpty('namespace', chain.namespace))}/${enc(nonEmpty('workflowId', chain.workflowId))}/${enc(
    nonEmpty('firstExecutionRunId', chain.firstExecutionRunId),
  )}/`;
}

/** The key of `step` in one run chain. */
export function runStepKey(chain: RunChain, step: string): string {
  return `${chainKeyPrefix(chain)}${enc(nonEmpty('step', step))}`;
}

/** The key of `step` under an explicit business scope (an order id, a patient id) in a namespace. */
export function scopedStepKey(namespace: string, scope: string, step: string): string {
  return `${enc(nonEmpty('namespace', namespace))}/${enc(nonEmpty('scope', scope))}/${enc(nonEmpty('step', step))}`;
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
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  // Only canonical encodings count, so a legacy key that happens to split into 3 or 4 parts is not taken for a new one.
  if (decoded.some((p, i) => p.length === 0 || enc(p) !== parts[i])) return undefined;
  if (decoded.length === 4) {
    const [namespace, workflowId, firstExecutionRunId, step] = decoded;
    return { kind: 'run', namespace, workflowId, firstExecutionRunId, step };
  }
  if (decoded.length === 3) {
    const [namespace, scope, step] = decoded;
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
