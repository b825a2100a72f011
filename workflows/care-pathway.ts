/**
 * `carePathway`: the healthcare scenario.
 *
 *   admitPatient ──► wait `followUpAfter` (a durable timer, typically days) ──► scheduleFollowUp
 *
 * The hospital systems behind both activities are flaky; transient faults are retried by the
 * `serviceCall` policy. The timer survives worker and server restarts, because it lives in the
 * event history, not in a process.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities';
import { stepKey } from './idempotency';
import { serviceCall } from './options';

export interface CarePathwayInput {
  patientId: string;
  ward: string;
  /** Time between admission and the follow-up appointment, e.g. `"14 days"` (ms-style duration). */
  followUpAfter: Duration;
}

export interface CarePathwayResult {
  patientId: string;
  admissionId: string;
  appointmentId: string;
  followUpAt: string;
}

const { admitPatient, scheduleFollowUp } = proxyActivities<Activities>(serviceCall);

export async function carePathway(input: CarePathwayInput): Promise<CarePathwayResult> {
  const { admissionId } = await admitPatient({ key: stepKey('admit'), patientId: input.patientId, ward: input.ward });
  await sleep(input.followUpAfter);
  // Workflow time: the sandbox's Date is deterministic (the time of the current workflow task).
  const followUpAt = new Date().toISOString();
  const { appointmentId } = await scheduleFollowUp({
    key: stepKey('follow-up'),
    patientId: input.patientId,
    admissionId,
    at: followUpAt,
  });
  return { patientId: input.patientId, admissionId, appointmentId, followUpAt };
}
