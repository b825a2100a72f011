/**
 * What the CLI knows about one workflow type: the workflow function, a zod schema of its input,
 * and the schemas of the arguments of its signals, queries and updates. The registry
 * (`client/workflow-registry.ts`) lists one of these per type.
 */
import type { Workflow } from '@temporalio/common';
import { z } from 'zod';

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
  /**
   * An example input, shown in help and in errors, and the input of every run that `steadfast
   * chaos` starts of this type (checked against {@link WorkflowTypeSpec.input} first). It should
   * complete when nothing fails.
   */
  example: Parameters<W>[0];
  /**
   * The activity type names the workflow schedules, compensations included: the names a fault
   * plan may target. `start --fault-plan` refuses any other name.
   */
  activities: readonly string[];
  /**
   * The signals the workflow handles, by name, with the schema of each one's argument (`null`: it
   * takes none). `steadfast signal` validates `--arg` against it and refuses any other name.
   * Omitted: the type handles no signals as far as the CLI knows.
   */
  signals?: HandlerSchemas;
  /** The queries the workflow handles, by name (see `signals`); used by `steadfast query`. */
  queries?: HandlerSchemas;
  /** The updates the workflow handles, by name (see `signals`); used by `steadfast update`. */
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
 *   activities: ['admitPatient', 'scheduleFollowUp'],
 * });
 */
export function defineWorkflowType<W extends Workflow>(spec: WorkflowTypeSpec<W>): WorkflowTypeSpec<W> {
  return spec;
}

/** A JSON Schema document, as `z.toJSONSchema` emits it. */
export type JsonSchema = Record<string, unknown>;

/** What `steadfast schema <type>` prints: the JSON Schemas of a type's input and handler arguments. */
export interface WorkflowTypeJsonSchema {
  workflowType: string;
  summary: string;
  input: JsonSchema;
  /** Handler name → JSON Schema of its one argument, or `null` when it takes none. */
  signals: Record<string, JsonSchema | null>;
  queries: Record<string, JsonSchema | null>;
  updates: Record<string, JsonSchema | null>;
  /** The activity names a fault plan may target. */
  activities: readonly string[];
  example: unknown;
}

function toJsonSchema(schema: z.ZodType): JsonSchema {
  // `io: 'input'`: what a client sends (fields with defaults are optional, transforms not applied).
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function handlerSchemas(handlers: HandlerSchemas | undefined): Record<string, JsonSchema | null> {
  return Object.fromEntries(Object.entries(handlers ?? {}).map(([name, s]) => [name, s ? toJsonSchema(s) : null]));
}

/**
 * The JSON Schemas of a workflow type, generated from its zod schemas (never written by hand), so
 * clients in other languages can check what they send before they send it.
 */
export function workflowTypeJsonSchema(spec: WorkflowTypeSpec): WorkflowTypeJsonSchema {
  return {
    workflowType: spec.workflow.name,
    summary: spec.summary,
    input: toJsonSchema(spec.input),
    signals: handlerSchemas(spec.signals),
    queries: handlerSchemas(spec.queries),
    updates: handlerSchemas(spec.updates),
    activities: spec.activities,
    example: spec.example,
  };
}
