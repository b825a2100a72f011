/**
 * `carePathway` for the CLI: its input, and the arguments of its `signOff` and `withdraw` signals,
 * `state` query and `addNote` update (`workflows/care-pathway.ts`).
 */
import type { Activities } from '../../activities';
import { carePathway } from '../../workflows';
import { careNoteSchema, carePathwayInputSchema, signOffSchema, withdrawSchema } from '../../workflows/care-pathway';
import { defineWorkflowType } from 'steadfast';

/** `carePathway`'s entry in the workflow registry. */
export const carePathwayType = defineWorkflowType({
  workflow: carePathway,
  summary:
    'healthcare: admit a patient, optionally wait for a clinician sign-off (paging the on-call clinician when overdue), ' +
    'book the follow-up, remind the patient until it; `withdraw` cancels the bookings',
  input: carePathwayInputSchema,
  example: { patientId: 'patient-1001', ward: 'cardiology', followUpAfter: '14 days' },
  activities: [
    'admitPatient',
    'scheduleFollowUp',
    'pageOnCall',
    'sendFollowUpReminder',
    'cancelAdmission',
    'cancelFollowUp',
  ] satisfies (keyof Activities)[],
  signals: { signOff: signOffSchema, withdraw: withdrawSchema },
  queries: { state: null },
  updates: { addNote: careNoteSchema },
});
