/**
 * `carePathway` for the CLI: its input, and the arguments of its `signOff` signal, `state` query
 * and `addNote` update, checked with the workflow's own schemas (the workflow checks them again).
 */
import type { Activities } from '../../activities';
import { carePathway } from '../../workflows';
import { careNoteSchema, carePathwayInputSchema, signOffSchema } from '../../workflows/care-pathway';
import { defineWorkflowType } from 'steadfast';

/** `carePathway`'s entry in the workflow registry. */
export const carePathwayType = defineWorkflowType({
  workflow: carePathway,
  summary: 'healthcare: admit a patient, optionally wait for a clinician sign-off, wait, book the follow-up',
  input: carePathwayInputSchema,
  example: { patientId: 'patient-1001', ward: 'cardiology', followUpAfter: '14 days' },
  activities: ['admitPatient', 'scheduleFollowUp'] satisfies (keyof Activities)[],
  signals: { signOff: signOffSchema },
  queries: { state: null },
  updates: { addNote: careNoteSchema },
});
