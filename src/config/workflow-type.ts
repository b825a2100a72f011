/**
 * What the CLI knows about one workflow type: the workflow function, a zod schema of its input,
 * and the schemas of the arguments of its signals, queries and updates. The registry
 * (`client/workflow-registry.ts`) lists one of these per type.
 */
import type { Workflow } from '@temporalio/common';
import type { z } from 'zod';

/** Handler name → schema of its one argument, or `null` when it takes none. */
export type HandlerSchemas = Record<string, z.ZodType | null>;

/** One workflow type as the CLI sees it. */
export interface WorkflowTypeSpec<W extends Workflow = Workflow> {
  /** The workflow function; its name is the workflow type name. */
  workflow: W;
  /** One line for `steadfast start --help` and errors. */
  summary: string;
  /** Schema of the workflow's (single) input argument. */
  input: z.ZodType<Parameters<W>[0]>;
  /** An example input, shown in help and in errors. */
  example: Parameters<W>[0];
  signals?: HandlerSchemas;
  queries?: HandlerSchemas;
  updates?: HandlerSchemas;
}

/**
 * Declares a workflow type for the registry; the type parameter ties the input schema to the
 * workflow's own input type, so a schema that drifts from the workflow fails to compile.
 *
 * @example
 * export const carePathwayType = defineWorkflowType({
 *   workflow: carePathway,
 *   summary: 'admit a patient, wait, book the follow-up',
 *   input: z.object({ patientId: z.string(), ward: z.string(), followUpAfter: duration }).strict(),
 *   example: { patientId: 'patient-1', ward: 'cardiology', followUpAfter: '14 days' },
 * });
 */
export function defineWorkflowType<W extends Workflow>(spec: WorkflowTypeSpec<W>): WorkflowTypeSpec<W> {
  return spec;
}
