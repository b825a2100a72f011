/**
 * The simulated carrier behind `orderFulfillment`: shipments of reserved goods. A shipment is
 * `created` or, once its order is compensated, `cancelled`. It can only be created for a
 * reservation that still holds its goods.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseOrReject, applyEffect, compensateEffect, reject, type CompensationOutcome, type EffectStore } from 'steadfast/activity';
import { RejectionType } from '../contracts/rejections';

export const SHIPPING_DDL = [
  // No unique constraint on key: exactly-once is the effect store's job, and verify() checks it.
  `CREATE TABLE IF NOT EXISTS shipments (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     order_id TEXT NOT NULL,
     reservation_id TEXT NOT NULL,
     address TEXT NOT NULL,
     tracking_number TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS shipments_key ON shipments (key)',
];

const key = z.string().min(1, 'expected a non-empty idempotency key');
const createSchema = z.object({
  key,
  orderId: z.string().min(1, 'expected an order id'),
  reservationId: z.string().min(1, 'expected a reservation id'),
  address: z.string().trim().min(1, 'expected a shipping address'),
});
const cancelSchema = z.object({ key, shipmentKey: key });

/** Ship the goods of a reservation to an address. */
export type CreateShipmentRequest = z.infer<typeof createSchema>;

export function createShippingActivities(store: EffectStore) {
  return {
    /** Creates the shipment; rejects with `InvalidRequest` when the reservation does not hold goods. */
    async createShipment(request: CreateShipmentRequest): Promise<{ shipmentId: string; trackingNumber: string }> {
      const req = parseOrReject('createShipment request', createSchema, request);
      return applyEffect(store, req.key, req, async (tx) => {
        const reservation = await tx.get<{ status: string }>('SELECT status FROM inventory_reservations WHERE id = ?', [
          req.reservationId,
        ]);
        if (reservation?.status !== 'reserved') {
          reject(
            RejectionType.invalidRequest,
            `reservation "${req.reservationId}" ${reservation ? `is ${reservation.status}` : 'does not exist'}; only held goods can ship`,
            { reservationId: req.reservationId },
          );
        }
        const shipmentId = `shp-${randomUUID()}`;
        const trackingNumber = `TRK${createHash('sha256').update(shipmentId).digest('hex').slice(0, 10).toUpperCase()}`;
        const now = new Date().toISOString();
        await tx.run(
          `INSERT INTO shipments (id, key, order_id, reservation_id, address, tracking_number, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?)`,
          [shipmentId, req.key, req.orderId, req.reservationId, req.address, trackingNumber, now, now],
        );
        return { shipmentId, trackingNumber };
      });
    },

    /** Compensation of `createShipment`: cancels the shipment created under `shipmentKey`, if any. */
    async cancelShipment(request: { key: string; shipmentKey: string }): Promise<{ outcome: CompensationOutcome }> {
      const req = parseOrReject('cancelShipment request', cancelSchema, request);
      const outcome = await compensateEffect(store, 'shipping', req.key, req.shipmentKey, async (tx) => {
        const { changes } = await tx.run(
          "UPDATE shipments SET status = 'cancelled', updated_at = ? WHERE key = ? AND status = 'created'",
          [new Date().toISOString(), req.shipmentKey],
        );
        return changes > 0;
      });
      return { outcome };
    },
  };
}
