/**
 * A workflow type under chaos built from nothing but its declaration (`defineWorkflowType` in the
 * project's `workflowTypes`): every run starts from the type's example input, the fault plan may
 * target any of its activities, and the checks are the ones that hold for any saga over the
 * effect store ({@link GENERIC_INVARIANTS}), not the scenario's own (money conserved and the like),
 * which a project adds by listing a type of its own in `chaos.types`.
 *
 *   spec ──► example input (checked against spec.input) ──► N runs, one fault plan each
 *        ──► every run terminal, as its plan allows ──► effects at most once ──► compensated runs undone
 */
import { SimulatedFaultType } from '../activity/fault-injection';
import { SAGA_COMPENSATION_FAILED } from '../common/failure-types';
import type { WorkflowTypeSpec } from '../config/workflow-type';
import { GENERIC_INVARIANTS } from './generic-invariants';
import { ChaosUsageError } from './options';
import type { ChaosWorkflowType, ExpectedOutcome } from './workflow-types';

/**
 * What a run of a generic type may end as when its plan holds a permanent fault: the fault itself
 * (on a step the run reached), or `SagaCompensationFailed` (on a compensation it ran). Whether the
 * run reaches the faulty activity at all depends on the workflow, which the type cannot know, so
 * such a run may also complete.
 */
const GENERIC_FAILURE_TYPES = [SimulatedFaultType.permanent, SAGA_COMPENSATION_FAILED] as const;

/**
 * The generic chaos type of a declared workflow type: runs start from `spec.example` (checked
 * against `spec.input` first) and faults target `spec.activities`. A run whose plan has no
 * permanent fault must complete (transient faults, hangs and lost replies are retried away);
 * with one, it may complete or fail with the fault or `SagaCompensationFailed`. Its effects are
 * checked by {@link GENERIC_INVARIANTS}.
 *
 * Every run gets the same input, so the workflow's idempotency keys must be run-scoped (the
 * default of `stepKey`): keys scoped by a business id from the input would make every run after
 * the first replay the first run's effects.
 *
 * @throws ChaosUsageError when the example does not match the input schema, naming each field
 * @example
 * // steadfast.config.ts: the generic type, plus a scenario check of the project's own
 * chaos: { types: [{ ...genericChaosType(bookTripType), invariants: [...GENERIC_INVARIANTS, tripsBalanced] }] },
 */
export function genericChaosType(spec: WorkflowTypeSpec): ChaosWorkflowType {
  const name = spec.workflow.name;
  const parsed = spec.input.safeParse(spec.example);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  workflowTypes.${name}.example${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`);
    throw new ChaosUsageError(
      `the example input of workflow type "${name}" does not match its input schema, so chaos cannot start runs of it:\n${lines.join('\n')}`,
    );
  }
  const example = spec.example;
  return {
    name,
    faultableActivities: spec.activities,
    draw: () => ({ args: [example] }),
    expected: (plan): ExpectedOutcome =>
      Object.values(plan).some((f) => f.kind === 'permanent')
        ? { status: 'completed-or-failed', failureTypes: GENERIC_FAILURE_TYPES }
        : { status: 'completed' },
    invariants: GENERIC_INVARIANTS,
  };
}
