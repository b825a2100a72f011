/**
 * `steadfast`: declaring a project for the `steadfast` CLI (`steadfast.config.ts`). The library
 * itself is imported per side of Temporal's runtime: `steadfast/workflow`, `steadfast/schemas`, `steadfast/activity`,
 * `steadfast/worker`, `steadfast/client` and `steadfast/testing`.
 *
 * @example
 * // steadfast.config.ts
 * import { z } from 'zod';
 * import { defineConfig, defineWorkflowType } from 'steadfast';
 * import { createActivities } from './activities';
 * import { bookTrip } from './workflows';
 *
 * export default defineConfig({
 *   workflowsPath: require.resolve('./workflows'),
 *   activities: (store) => createActivities(store),
 *   workflowTypes: [
 *     defineWorkflowType({
 *       workflow: bookTrip,
 *       summary: 'book a flight and a hotel, or neither',
 *       input: z.object({ tripId: z.string(), flight: z.string(), hotel: z.string() }).strict(),
 *       example: { tripId: 'trip-1', flight: 'LH123', hotel: 'Ritz' },
 *       activities: ['bookFlight', 'bookHotel', 'cancelFlight', 'cancelHotel'],
 *     }),
 *   ],
 * });
 *
 * @packageDocumentation
 */
export { defineConfig, type SteadfastProject } from './config/project';
export type { ProjectTracing } from './tracing/settings';
export { defineWorkflowType, type HandlerSchemas, type WorkflowTypeSpec } from './config/workflow-type';
