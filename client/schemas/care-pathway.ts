/**
 * `carePathway` for the CLI: its input, and the arguments of its `signOff` and `withdraw` signals,
 * `state` query and `addNote` update (`workflows/care-pathway.ts`).
 */
import { z } from 'zod';
import { carePathway } from '../../workflows';
import { defineWorkflowType } from 'steadfast';
import { duration, nonEmpty } from 'steadfast/workflow';

/** `carePathway`'s entry in the workflow registry. */
export const carePathwayType = defineWorkflowType({
  workflow: carePathway,
  summary:
    'healthcare: admit a patient, optionally wait for a clinician sign-off (paging the on-call clinician when overdue), ' +
    'book the follow-up, remind the patient until it; `withdraw` cancels the bookings',
  input: z
    .object({
      patientId: nonEmpty,
      ward: nonEmpty,
      followUpAfter: duration,
      signOffWithin: duration.optional(),
      escalateEvery: duration.optional(),
      maxEscalations: z.number().int().min(0).max(10, { message: 'expected an integer from 0 to 10' }).optional(),
      remindEvery: duration.optional(),
    })
    .strict(),
  example: { patientId: 'patient-1001', ward: 'cardiology', followUpAfter: '14 days' },
  signals: {
    signOff: z.object({ clinician: nonEmpty }).strict(),
    withdraw: z.object({ by: nonEmpty, reason: nonEmpty.optional() }).strict(),
  },
  queries: { state: null },
  updates: { addNote: z.object({ author: nonEmpty, text: nonEmpty }).strict() },
});
