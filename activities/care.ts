/**
 * The simulated hospital systems behind `carePathway`: admissions and appointments. State lives in
 * the effect store; every call applies its effect exactly once per idempotency key.
 */
import { createHash } from 'node:crypto';
import type { EffectStore } from './store';

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
  async function record(key: string, patientId: string, kind: string, ref: string, detail: unknown) {
    return store.once(key, { patientId, kind, detail }, async (tx) => {
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
      const { value } = await record(req.key, req.patientId, 'admission', refFor('adm', req.key), { ward: req.ward });
      return { admissionId: value };
    },

    /** Books the follow-up appointment; returns the appointment id. */
    async scheduleFollowUp(req: ScheduleFollowUpRequest): Promise<{ appointmentId: string }> {
      const { value } = await record(req.key, req.patientId, 'follow-up', refFor('apt', req.key), {
        admissionId: req.admissionId,
        at: req.at,
      });
      return { appointmentId: value };
    },
  };
}
