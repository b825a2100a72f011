/**
 * Schemas shared by the workflow types' input schemas, and the fault plan's. They live beside the
 * workflows, which check their own inputs with them; the CLI uses the same ones.
 */
export { duration, nonEmpty } from '../../workflows/validate';
export { faultPlanSchema } from '../../workflows/fault-plan';
