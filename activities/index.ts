/**
 * All activities, built over one effect store. Workflows import only the {@link Activities} type.
 */
import { CARE_DDL, createCareActivities } from './care';
import { PRODUCTION_DDL, createProductionActivities } from './production';
import type { EffectStore } from './store';

/** Tables of every simulated service; applied by {@link prepareStore}. */
export const SERVICE_DDL = [...CARE_DDL, ...PRODUCTION_DDL];

/** Creates the services' tables (idempotent). Call once before a worker starts. */
export async function prepareStore(store: EffectStore): Promise<void> {
  await store.migrate(SERVICE_DDL);
}

export function createActivities(store: EffectStore) {
  return {
    ...createCareActivities(store),
    ...createProductionActivities(store),
  };
}

export type Activities = ReturnType<typeof createActivities>;
