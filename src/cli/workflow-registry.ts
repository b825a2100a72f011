/**
 * The workflow types the CLI can start and operate: the `workflowTypes` of the project's
 * `steadfast.config.ts` (see `defineWorkflowType`). Commands that only operate on a run by id
 * (status, result, signal, query, …) work on any run, whatever started it, without a registry.
 */
import { loadProject } from '../config/load';
import { UsageError } from './cli-errors';
import type { HandlerSchemas, WorkflowTypeSpec } from '../config/workflow-type';

let registry: ReadonlyMap<string, WorkflowTypeSpec> | undefined;

/** Workflow type name → its spec, from the project's config (loaded on first use). */
export function workflowRegistry(): ReadonlyMap<string, WorkflowTypeSpec> {
  registry ??= new Map((loadProject().workflowTypes ?? []).map((t) => [t.workflow.name, t]));
  return registry;
}

/** The registered type names, sorted. */
export function workflowTypeNames(): string[] {
  return [...workflowRegistry().keys()].sort();
}

/** The spec of `name`, or a {@link UsageError} naming `field` and the known types. */
export function lookupWorkflowType(name: string, field = '<workflowType>'): WorkflowTypeSpec {
  const spec = workflowRegistry().get(name);
  if (!spec) {
    throw new UsageError({
      code: 'unknown-workflow-type',
      message: `${field}: unknown workflow type "${name}"; expected one of: ${workflowTypeNames().join(', ')}`,
      field,
      expected: `one of ${workflowTypeNames().join(', ')}`,
    });
  }
  return spec;
}

/** The kinds of message a run handles. */
export type HandlerKind = 'signal' | 'query' | 'update';

/**
 * The argument schema of handler `name` of `spec` (`null`: no argument), or a {@link UsageError}
 * naming the handlers that the type does have.
 */
export function lookupHandler(spec: WorkflowTypeSpec, kind: HandlerKind, name: string): HandlerSchemas[string] {
  const handlers: HandlerSchemas = { signal: spec.signals, query: spec.queries, update: spec.updates }[kind] ?? {};
  if (!(name in handlers)) {
    const known = Object.keys(handlers);
    throw new UsageError({
      code: `unknown-${kind}`,
      message:
        `<name>: ${spec.workflow.name} has no ${kind} "${name}"; ` +
        (known.length ? `expected one of: ${known.join(', ')}` : `it handles no ${kind}s`),
      field: '<name>',
      expected: known.length ? `one of ${known.join(', ')}` : `a workflow type that handles ${kind}s`,
    });
  }
  return handlers[name];
}
