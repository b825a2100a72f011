/**
 * `carePathway`: the healthcare scenario.
 *
 *   admitPatient ──► [sign-off: signal `signOff` within `signOffWithin`] ──► wait `followUpAfter`
 *                    (a human step with a deadline)                         (a durable timer, typically days)
 *                ──► scheduleFollowUp
 *
 * The hospital systems behind both activities are flaky; transient faults are retried by the
 * `serviceCall` policy. The timers survive worker and server restarts, because they live in the
 * event history, not in a process. While it runs, the `state` query reports where the pathway
 * stands and the `addNote` update attaches a clinical note. The sign-off step only exists when the
 * input asks for it, so runs started without it (and their recorded histories) are unchanged.
 */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities';
import { stepKey, serviceCall } from 'steadfast/workflow';

export interface CarePathwayInput {
  patientId: string;
  ward: string;
  /** Time between admission and the follow-up appointment, e.g. `"14 days"` (ms-style duration). */
  followUpAfter: Duration;
  /**
   * When set, a clinician must sign the patient off (signal `signOff`) within this time after
   * admission, or the run fails with `SignOffOverdue` and no follow-up is booked.
   */
  signOffWithin?: Duration;
}

export interface CarePathwayResult {
  patientId: string;
  admissionId: string;
  appointmentId: string;
  followUpAt: string;
  /** The clinician who signed off, when the run had a sign-off step. */
  signedOffBy?: string;
}

/** A clinician's sign-off: the argument of the `signOff` signal. */
export interface SignOff {
  clinician: string;
}

/** A clinical note: the argument of the `addNote` update. */
export interface CareNote {
  author: string;
  text: string;
}

/** Where a pathway stands: the answer of the `state` query. */
export interface CarePathwayState {
  stage: 'admitting' | 'awaiting-sign-off' | 'awaiting-follow-up' | 'booking-follow-up' | 'done';
  patientId: string;
  admissionId?: string;
  signedOffBy?: string;
  notes: CareNote[];
}

/** Signal: a clinician signs the patient off. The first sign-off counts; later ones are ignored. */
export const signOffSignal = defineSignal<[SignOff]>('signOff');
/** Query: the pathway's {@link CarePathwayState}. */
export const stateQuery = defineQuery<CarePathwayState>('state');
/** Update: attaches a note; returns how many notes the pathway has. Rejects a note without text. */
export const addNoteUpdate = defineUpdate<number, [CareNote]>('addNote');

/** Failure type when no clinician signed off within `signOffWithin`. */
export const SIGN_OFF_OVERDUE = 'SignOffOverdue';

const { admitPatient, scheduleFollowUp } = proxyActivities<Activities>(serviceCall);

/** The care pathway of one patient (see the diagram above). */
export async function carePathway(input: CarePathwayInput): Promise<CarePathwayResult> {
  const state: CarePathwayState = { stage: 'admitting', patientId: input.patientId, notes: [] };
  setHandler(stateQuery, () => state);
  setHandler(signOffSignal, ({ clinician }) => {
    state.signedOffBy ??= clinician;
  });
  setHandler(
    addNoteUpdate,
    (note) => {
      state.notes.push({ author: note.author, text: note.text });
      return state.notes.length;
    },
    {
      validator: (note) => {
        if (typeof note?.text !== 'string' || note.text.trim() === '') {
          throw ApplicationFailure.nonRetryable('note.text: expected a non-empty string', 'InvalidNote');
        }
      },
    },
  );

  const { admissionId } = await admitPatient({ key: stepKey('admit'), patientId: input.patientId, ward: input.ward });
  state.admissionId = admissionId;
  if (input.signOffWithin !== undefined) {
    state.stage = 'awaiting-sign-off';
    if (!(await condition(() => state.signedOffBy !== undefined, input.signOffWithin))) {
      throw ApplicationFailure.nonRetryable(
        `no clinician signed patient ${input.patientId} off within ${String(input.signOffWithin)}`,
        SIGN_OFF_OVERDUE,
      );
    }
  }
  state.stage = 'awaiting-follow-up';
  await sleep(input.followUpAfter);
  // Workflow time: the sandbox's Date is deterministic (the time of the current workflow task).
  const followUpAt = new Date().toISOString();
  state.stage = 'booking-follow-up';
  const { appointmentId } = await scheduleFollowUp({
    key: stepKey('follow-up'),
    patientId: input.patientId,
    admissionId,
    at: followUpAt,
  });
  state.stage = 'done';
  return {
    patientId: input.patientId,
    admissionId,
    appointmentId,
    followUpAt,
    ...(state.signedOffBy !== undefined ? { signedOffBy: state.signedOffBy } : {}),
  };
}
