/**
 * The simulated hospital systems behind `carePathway`: admissions, appointments, the on-call pager
 * and patient reminders. State lives in the effect store; every call applies its effect exactly
 * once per idempotency key. Admissions and appointments can be undone (a withdrawn pathway): the
 * undo marks the event cancelled in `care_cancellations` and leaves the event itself as the record
 * of what happened. A page or a reminder cannot be unsent, so it has no undo.
 */
import { createHash } from 'node:crypto';
import { applyEffect, compensateEffect, type CompensationOutcome, type EffectStore, type StoreTx } from 'steadfast/activity';

export const CARE_DDL = [
  `CREATE TABLE IF NOT EXISTS care_events (
     key TEXT PRIMARY KEY,
     patient_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     ref TEXT NOT NULL,
     detail TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
  // One row per cancelled admission or appointment, keyed by the event's own key. A table of its
  // own, so stores created before cancellations existed need no ALTER.
  `CREATE TABLE IF NOT EXISTS care_cancellations (
     key TEXT PRIMARY KEY,
     compensation_key TEXT NOT NULL,
     cancelled_at TEXT NOT NULL
   )`,
];

/** A short reference derived from the key, as a real system would hand out its own id. */
function refFor(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

export interface AdmitPatientRequest {
  key: string;
  patientId: string;
  ward: string;
}

export interface ScheduleFollowUpRequest {
  key: string;
  patientId: string;
  admissionId: string;
  at: string;
}

/** Page the on-call clinician because a sign-off is overdue; `escalation` counts from 1. */
export interface PageOnCallRequest {
  key: string;
  patientId: string;
  admissionId: string;
  ward: string;
  escalation: number;
}

/** Remind the patient of the booked follow-up; `reminder` counts from 1. */
export interface SendFollowUpReminderRequest {
  key: string;
  patientId: string;
  appointmentId: string;
  reminder: number;
}

/** Undo an admission (`admissionKey`) or an appointment (`appointmentKey`); `key` is the undo's own key. */
export interface CancelAdmissionRequest {
  key: string;
  admissionKey: string;
}
export interface CancelFollowUpRequest {
  key: string;
  appointmentKey: string;
}

export function createCareActivities(store: EffectStore) {
  /**
   * Records one event under its key, exactly once. `identity` is what the key is bound to (a repeat
   * with other identity fields is rejected, non-retryably, as `IdempotencyKeyReused`); `detail` is
   * stored with it but may differ on a repeat.
   */
  async function record(key: string, patientId: string, kind: string, ref: string, detail: object, identity: object = detail) {
    return applyEffect(store, key, { patientId, kind, detail: identity }, async (tx) => {
      await tx.run(
        'INSERT INTO care_events (key, patient_id, kind, ref, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [key, patientId, kind, ref, JSON.stringify(detail), new Date().toISOString()],
      );
      return ref;
    });
  }

  /** Cancels the event recorded under `eventKey`, if it landed (see {@link compensateEffect}). */
  async function cancel(key: string, eventKey: string): Promise<{ outcome: CompensationOutcome }> {
    const outcome = await compensateEffect(store, 'care', key, eventKey, async (tx: StoreTx) => {
      if (!(await tx.get('SELECT key FROM care_events WHERE key = ?', [eventKey]))) return false;
      await tx.run('INSERT INTO care_cancellations (key, compensation_key, cancelled_at) VALUES (?, ?, ?)', [
        eventKey,
        key,
        new Date().toISOString(),
      ]);
      return true;
    });
    return { outcome };
  }

  return {
    /** Admits a patient to a ward; returns the admission id. */
    async admitPatient(req: AdmitPatientRequest): Promise<{ admissionId: string }> {
      const value = await record(req.key, req.patientId, 'admission', refFor('adm', req.key), { ward: req.ward });
      return { admissionId: value };
    },

    /**
     * Books the follow-up appointment; returns the appointment id. The booking is identified by its
     * admission, not by its time: `at` comes from workflow time, which a reset run sees anew, and a
     * reset pathway must get the appointment it already has, not a key-reuse error.
     */
    async scheduleFollowUp(req: ScheduleFollowUpRequest): Promise<{ appointmentId: string }> {
      const { admissionId, at } = req;
      const value = await record(req.key, req.patientId, 'follow-up', refFor('apt', req.key), { admissionId, at }, { admissionId });
      return { appointmentId: value };
    },

    /** Pages the on-call clinician of the ward about an overdue sign-off, once per key. */
    async pageOnCall(req: PageOnCallRequest): Promise<{ pageId: string }> {
      const { admissionId, ward, escalation } = req;
      const value = await record(req.key, req.patientId, 'page', refFor('page', req.key), { admissionId, ward, escalation });
      return { pageId: value };
    },

    /** Reminds the patient of the follow-up appointment, once per key. */
    async sendFollowUpReminder(req: SendFollowUpReminderRequest): Promise<{ reminderId: string }> {
      const { appointmentId, reminder } = req;
      const value = await record(req.key, req.patientId, 'reminder', refFor('rem', req.key), { appointmentId, reminder });
      return { reminderId: value };
    },

    /**
     * Compensation of `admitPatient`: cancels the admission made under `admissionKey`, if it was
     * made; afterwards that admission can no longer land.
     */
    async cancelAdmission(req: CancelAdmissionRequest): Promise<{ outcome: CompensationOutcome }> {
      return cancel(req.key, req.admissionKey);
    },

    /** Compensation of `scheduleFollowUp`: cancels the appointment booked under `appointmentKey`, if any. */
    async cancelFollowUp(req: CancelFollowUpRequest): Promise<{ outcome: CompensationOutcome }> {
      return cancel(req.key, req.appointmentKey);
    },
  };
}
