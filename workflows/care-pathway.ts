/**
 * `carePathway`: the healthcare scenario.
 *
 *   admitPatient ──► [sign-off: signal `signOff` within `signOffWithin`] ──► scheduleFollowUp
 *        │             overdue: pageOnCall, wait `escalateEvery` again,        (booked for admission
 *        │             at most `maxEscalations` times, then SignOffOverdue      + `followUpAfter`)
 *        │                                                                            │
 *        │           wait until the appointment, with a sendFollowUpReminder  ◄───────┘
 *        │           every `remindEvery` (durable timers, typically days)
 *        │
 *   signal `withdraw` at any point before the appointment, or an overdue sign-off:
 *   cancelFollowUp ◄── cancelAdmission  (the saga's compensations, last booked first)
 *
 * The hospital systems behind the activities are flaky; transient faults are retried by the
 * `serviceCall` policy. The timers survive worker and server restarts, because they live in the
 * event history, not in a process. While it runs, the `state` query reports where the pathway
 * stands and the `addNote` update attaches a clinical note. The sign-off step only exists when the
 * input asks for it, and reminders only with `remindEvery`.
 *
 * Runs started before the escalations, the withdrawal and the reminders existed took another path:
 * admit, sign-off (an overdue one failed at once), a timer of `followUpAfter`, then the booking,
 * with no saga. That path is kept, behind {@link CARE_PATHWAY_ESCALATION_PATCH}, so their recorded
 * histories still replay; new runs take the new one.
 *
 * Workflow ids, search attributes and memos of a pathway carry no personal data: the patient id
 * travels only in the input and in activity arguments (payloads, which a codec can encrypt).
 */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import type { Activities } from '../activities';
import { duration, nonEmpty } from 'steadfast/schemas';
import {
  FailureType,
  parseOrReject,
  Saga,
  serviceCall,
  setStrictSignalHandler,
  setStrictUpdateHandler,
  stepKey,
} from 'steadfast/workflow';

export interface CarePathwayInput {
  patientId: string;
  ward: string;
  /** Time between admission and the follow-up appointment, e.g. `"14 days"` (ms-style duration). */
  followUpAfter: Duration;
  /**
   * When set, a clinician must sign the patient off (signal `signOff`) within this time after
   * admission. When it is overdue, the on-call clinician is paged and the pathway waits
   * `escalateEvery` again, at most `maxEscalations` times; then the run fails with
   * `SignOffOverdue`, the admission is cancelled and no follow-up is booked.
   */
  signOffWithin?: Duration;
  /** How long to wait after each page of the on-call clinician; default `signOffWithin`. */
  escalateEvery?: Duration;
  /** How many times to page the on-call clinician before giving up; an integer 0–10, default 2. */
  maxEscalations?: number;
  /**
   * Remind the patient every `remindEvery` while the follow-up waits (reminder n is sent n ×
   * `remindEvery` after the booking, while that is before the appointment). Default: no reminders.
   */
  remindEvery?: Duration;
}

export interface CarePathwayResult {
  patientId: string;
  admissionId: string;
  appointmentId: string;
  followUpAt: string;
  /** The clinician who signed off, when the run had a sign-off step. */
  signedOffBy?: string;
  /** How many times the on-call clinician was paged (runs started since the escalation patch). */
  escalations?: number;
  /** How many reminders were sent (runs started since the escalation patch). */
  reminders?: number;
}

/**
 * The schema of {@link CarePathwayInput}, strict: the workflow checks its input with it before it
 * admits anyone, and the CLI checks `--input` with it before it starts a run.
 */
export const carePathwayInputSchema = z
  .object({
    patientId: nonEmpty,
    ward: nonEmpty,
    followUpAfter: duration,
    signOffWithin: duration.optional(),
    escalateEvery: duration.optional(),
    maxEscalations: z
      .number()
      .int('expected an integer from 0 to 10')
      .min(0, 'expected an integer from 0 to 10')
      .max(10, 'expected an integer from 0 to 10')
      .optional(),
    remindEvery: duration.optional(),
  })
  .strict();

/** The schema of the `signOff` signal's argument. */
export const signOffSchema = z.object({ clinician: nonEmpty }).strict();

/** The schema of the `withdraw` signal's argument. */
export const withdrawSchema = z.object({ by: nonEmpty, reason: nonEmpty.optional() }).strict();

/** The schema of the `addNote` update's argument. */
export const careNoteSchema = z.object({ author: nonEmpty, text: nonEmpty }).strict();

/** A clinician's sign-off: the argument of the `signOff` signal. */
export interface SignOff {
  clinician: string;
}

/** A withdrawal of the pathway (consent withdrawn, transferred elsewhere): the argument of the `withdraw` signal. */
export interface Withdrawal {
  by: string;
  reason?: string;
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
  /** Pages sent to the on-call clinician so far. */
  escalations?: number;
  /** Reminders sent so far. */
  reminders?: number;
  /** The withdrawal, once signalled. */
  withdrawn?: Withdrawal;
  notes: CareNote[];
}

/** Signal: a clinician signs the patient off. The first sign-off counts; later ones are ignored. */
export const signOffSignal = defineSignal<[SignOff]>('signOff');
/**
 * Signal: withdraw the pathway. What was booked (the admission, the follow-up) is cancelled, last
 * booked first, and the run fails with `PathwayWithdrawn`. The first withdrawal counts; one that
 * arrives after the appointment is ignored.
 */
export const withdrawSignal = defineSignal<[Withdrawal]>('withdraw');
/** Query: the pathway's {@link CarePathwayState}. */
export const stateQuery = defineQuery<CarePathwayState>('state');
/** Update: attaches a note; returns how many notes the pathway has. Rejects a note without text. */
export const addNoteUpdate = defineUpdate<number, [CareNote]>('addNote');

/** Failure type when no clinician signed off within `signOffWithin` (and, since the patch, its escalations). */
export const SIGN_OFF_OVERDUE = 'SignOffOverdue';
/** Failure type of a withdrawn pathway (after its bookings were cancelled). */
export const PATHWAY_WITHDRAWN = 'PathwayWithdrawn';

/**
 * The patch that brought escalations, the `withdraw` signal, reminders and the saga. Permanent
 * while runs started before it may still replay: see docs/REPLAY.md before retiring it.
 */
export const CARE_PATHWAY_ESCALATION_PATCH = 'care-pathway-escalation-withdraw-reminders';

/** Default of {@link CarePathwayInput.maxEscalations}. */
export const DEFAULT_MAX_ESCALATIONS = 2;

const { admitPatient, scheduleFollowUp, pageOnCall, sendFollowUpReminder } = proxyActivities<Activities>(serviceCall);

/** The care pathway of one patient (see the diagram above). */
export async function carePathway(rawInput: CarePathwayInput): Promise<CarePathwayResult> {
  const input = parseOrReject('carePathway input', carePathwayInputSchema, rawInput);
  const state: CarePathwayState = { stage: 'admitting', patientId: input.patientId, notes: [] };
  setHandler(stateQuery, () => state);
  setStrictSignalHandler(signOffSignal, signOffSchema, ({ clinician }) => {
    state.signedOffBy ??= clinician;
  });
  setStrictUpdateHandler(addNoteUpdate, careNoteSchema, (note) => {
    state.notes.push({ author: note.author, text: note.text });
    return state.notes.length;
  });

  // Called before the first command, so a run takes one path for its whole life.
  if (!patched(CARE_PATHWAY_ESCALATION_PATCH)) return pathwayBeforeEscalations(input, state);
  return pathway(input, state);
}

/** Parses the durations and limits of the new path, or rejects the input before any step. */
function pathwayOptions(input: CarePathwayInput) {
  const invalid = (field: string, expected: string): never => {
    throw ApplicationFailure.create({
      type: FailureType.invalidRequest,
      message: `invalid carePathway input: ${field}: expected ${expected}`,
      nonRetryable: true,
      details: [{ problems: [`${field}: expected ${expected}`] }],
    });
  };
  const ms = (field: keyof CarePathwayInput, value: Duration | undefined): number | undefined => {
    if (value === undefined) return undefined;
    let n: number;
    try {
      n = msToNumber(value);
    } catch {
      return invalid(field, 'a positive duration such as "14 days"');
    }
    return n > 0 ? n : invalid(field, 'a positive duration such as "14 days"');
  };
  const maxEscalations = input.maxEscalations ?? DEFAULT_MAX_ESCALATIONS;
  if (!Number.isInteger(maxEscalations) || maxEscalations < 0 || maxEscalations > 10) {
    invalid('maxEscalations', 'an integer from 0 to 10');
  }
  const followUpMs = ms('followUpAfter', input.followUpAfter)!;
  const signOffMs = ms('signOffWithin', input.signOffWithin);
  return {
    followUpMs,
    signOffMs,
    escalateMs: ms('escalateEvery', input.escalateEvery) ?? signOffMs,
    maxEscalations,
    remindMs: ms('remindEvery', input.remindEvery),
  };
}

/** Today's path: escalations, withdrawal and reminders, with the bookings in a saga. */
async function pathway(input: CarePathwayInput, state: CarePathwayState): Promise<CarePathwayResult> {
  const opts = pathwayOptions(input);
  state.escalations = 0;
  state.reminders = 0;
  const withdrawn = () => state.withdrawn !== undefined;
  setStrictSignalHandler(withdrawSignal, withdrawSchema, (w) => {
    if (state.stage !== 'done') state.withdrawn ??= { by: w.by, ...(w.reason !== undefined ? { reason: w.reason } : {}) };
  });
  const withdrawal = () => {
    const w = state.withdrawn!;
    return ApplicationFailure.create({
      type: PATHWAY_WITHDRAWN,
      message: `pathway withdrawn by ${w.by}${w.reason ? `: ${w.reason}` : ''}`,
      nonRetryable: true,
    });
  };

  const saga = new Saga<Activities>();
  return saga.run(async () => {
    const { admissionId } = await saga.step(
      'admit',
      () => admitPatient({ key: stepKey('admit'), patientId: input.patientId, ward: input.ward }),
      { activity: 'cancelAdmission', args: [{ key: stepKey('cancel-admission'), admissionKey: stepKey('admit') }] },
    );
    state.admissionId = admissionId;
    if (withdrawn()) throw withdrawal();

    if (opts.signOffMs !== undefined) {
      state.stage = 'awaiting-sign-off';
      const settled = () => state.signedOffBy !== undefined || withdrawn();
      // A sign-off that came with the start needs no timer at all.
      if (!settled()) await condition(settled, opts.signOffMs);
      for (let escalation = 1; !settled(); escalation++) {
        if (escalation > opts.maxEscalations) {
          throw ApplicationFailure.create({
            type: SIGN_OFF_OVERDUE,
            message:
              `no clinician signed admission ${admissionId} off within ${String(input.signOffWithin)}` +
              ` and ${opts.maxEscalations} escalation(s)`,
            nonRetryable: true,
          });
        }
        await pageOnCall({ key: stepKey(`page-on-call/${escalation}`), patientId: input.patientId, admissionId, ward: input.ward, escalation });
        state.escalations = escalation;
        await condition(settled, opts.escalateMs!);
      }
      if (withdrawn()) throw withdrawal();
    }

    // Workflow time: the sandbox's Date is deterministic (the time of the current workflow task).
    const followUpAt = new Date(Date.now() + opts.followUpMs).toISOString();
    state.stage = 'booking-follow-up';
    const { appointmentId } = await saga.step(
      'follow-up',
      () => scheduleFollowUp({ key: stepKey('follow-up'), patientId: input.patientId, admissionId, at: followUpAt }),
      { activity: 'cancelFollowUp', args: [{ key: stepKey('cancel-follow-up'), appointmentKey: stepKey('follow-up') }] },
    );
    if (withdrawn()) throw withdrawal();

    // The reminders and the appointment as a fixed schedule of timers from the booking, so the
    // count never depends on how late a workflow task ran.
    state.stage = 'awaiting-follow-up';
    const reminders = opts.remindMs === undefined ? 0 : Math.ceil(opts.followUpMs / opts.remindMs) - 1;
    for (let reminder = 1; reminder <= reminders; reminder++) {
      if (await condition(withdrawn, opts.remindMs!)) throw withdrawal();
      await sendFollowUpReminder({ key: stepKey(`reminder/${reminder}`), patientId: input.patientId, appointmentId, reminder });
      state.reminders = reminder;
    }
    if (await condition(withdrawn, opts.followUpMs - reminders * (opts.remindMs ?? 0))) throw withdrawal();

    return { ...done(state, { admissionId, appointmentId, followUpAt }), escalations: state.escalations!, reminders: state.reminders! };
  });
}

/** Marks the pathway done and builds its result. */
function done(state: CarePathwayState, booked: Pick<CarePathwayResult, 'admissionId' | 'appointmentId' | 'followUpAt'>): CarePathwayResult {
  state.stage = 'done';
  return { patientId: state.patientId, ...booked, ...(state.signedOffBy !== undefined ? { signedOffBy: state.signedOffBy } : {}) };
}

/**
 * The path of runs started before {@link CARE_PATHWAY_ESCALATION_PATCH}: unchanged, command for
 * command, so that their histories replay.
 */
async function pathwayBeforeEscalations(input: CarePathwayInput, state: CarePathwayState): Promise<CarePathwayResult> {
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
  return done(state, { admissionId, appointmentId, followUpAt });
}
