/**
 * `carePathway` for the CLI: its input, and the arguments of its `signOff` signal, `state` query
 * and `addNote` update (`workflows/care-pathway.ts`).
 */
import { z } from 'zod';
import { carePathway } from '../../workflows';
import { defineWorkflowType } from 'steadfast';
import { duration, nonEmpty } from 'steadfast/workflow';

/** `carePathway`'s entry in the workflow registry. */
export const carePathwayType = defineWorkflowType({
  workflow: carePathway,
  summary: 'healthcare: admit a patient, optionally wait for a clinician sign-off, wait, book the follow-up',
  input: z
    .object({
      patientId: nonEmpty,
      ward: nonEmpty,
      followUpAfter: duration,
      signOffWithin: duration.optional(),
    })
    .strict(),
  example: { patientId: 'patient-1001', ward: 'cardiology', followUpAfter: '14 days' },
  signals: { signOff: z.object({ clinician: nonEmpty }).strict() },
  queries: { state: null },
  updates: { addNote: z.object({ author: nonEmpty, text: nonEmpty }).strict() },
});
