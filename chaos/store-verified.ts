/**
 * The reference application's store-wide invariant under chaos: its `verifyStore` routine over the
 * whole store and every run.
 */
import { verdict, type ChaosRunRecord, type InvariantCheck } from 'steadfast/testing';
import type { RunRecord } from 'steadfast/client';
import { verifyStore, type Finding } from '../activities/verify';

/** A chaos run record as `verifyStore` wants it (Temporal's upper-case status names). */
export function verifyRecordOf(run: ChaosRunRecord): RunRecord {
  return {
    workflowId: run.workflowId,
    namespace: run.namespace,
    firstExecutionRunId: run.firstExecutionRunId,
    workflowType: run.workflowType,
    status: run.status.toUpperCase(),
    failureType: run.failureType,
    failedCompensations: run.failedCompensations,
  };
}

function findingLine(f: Finding): string {
  return `${f.check} ${f.subject}: ${f.message}`;
}

/**
 * `verifyStore` (activities/verify.ts) over the whole store and every run: no key applied twice,
 * every effect under a recorded key, nothing landed after its compensation, money conserved (and
 * each balance equal to its ledger, nothing left in clearing), stock conserved, every reservation
 * shipped or released, every run closed and consistent with its effects. Its *unresolved* findings
 * (leftovers a run reported itself: a compensation that failed after its retries) are notes, not
 * violations; the per-run check of the finance types then checks they are exactly the planned ones.
 */
export const storeVerified: InvariantCheck = {
  name: 'store verified',
  description: 'no duplicate effects, money and stock conserved, reservations shipped or released, every run terminal and consistent',
  async check({ store, runs }) {
    const report = await verifyStore(store, { runs: runs.map(verifyRecordOf) });
    return {
      ...verdict(report.stats.keys, report.violations.map(findingLine)),
      notes: report.unresolved.map((f) => `unresolved ${findingLine(f)}`),
    };
  },
};

