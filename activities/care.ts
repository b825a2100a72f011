/**
 * The simulated hospital systems behind `carePathway`: admissions and appointments. State lives in
 * the effect store; every call applies its effect exactly once per idempotency key.
 */
import { createHash } from 'node:crypto';
import { applyEffect, type EffectStore } from 'steadfast/activity';

export const CARE_DDL = [
  `CREATE TABLE IF NOT EXISTS care_events (
     key TEXT PRIMARY KEY,
     patient_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     ref TEXT NOT NULL,
     detail TEXT NOT NULL,
     created_at TEXT NOT NULL
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
  };
}
