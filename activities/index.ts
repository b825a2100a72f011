/**
 * All activities, built over one effect store. Workflows import only the {@link Activities} type.
 */
import { BANK_DDL, createBankActivities } from './bank';
import { CARE_DDL, createCareActivities } from './care';
import type { EffectStore } from 'steadfast/activity';
import { createInventoryActivities, INVENTORY_DDL } from './inventory';
import { createNotificationActivities, NOTIFICATIONS_DDL } from './notifications';
import { createShippingActivities, SHIPPING_DDL } from './shipping';
import { createProductionActivities, PRODUCTION_DDL } from './production';

/** Tables of every simulated service (the store creates its own); applied by {@link prepareStore}. */
export const SERVICE_DDL = [
  ...CARE_DDL,
  ...BANK_DDL,
  ...INVENTORY_DDL,
  ...SHIPPING_DDL,
  ...NOTIFICATIONS_DDL,
  ...PRODUCTION_DDL,
];

/** Creates the services' tables (idempotent). Call once before a worker starts. */
export async function prepareStore(store: EffectStore): Promise<void> {
  await store.migrate(SERVICE_DDL);
}

export function createActivities(store: EffectStore) {
  return {
    ...createCareActivities(store),
    ...createBankActivities(store),
    ...createInventoryActivities(store),
    ...createShippingActivities(store),
    ...createNotificationActivities(store),
    ...createProductionActivities(store),
  };
}

export type Activities = ReturnType<typeof createActivities>;
