/**
 * The simulated warehouse behind `orderFulfillment`: stock per SKU and reservations against it.
 *
 * Stock is conserved: for every SKU, `available` plus the quantities held by reservations in status
 * `reserved` equals `received` (what was put on the shelves). A reservation stays `reserved` while
 * its goods are held or shipped, and becomes `released` when its order is compensated.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseOrReject, applyEffect, compensateEffect, reject, type CompensationOutcome, type EffectStore, type StoreTx } from 'steadfast/activity';
import { RejectionType } from '../contracts/rejections';
import { checkedCents, lineTotal, MAX_AMOUNT_CENTS } from '../contracts/money';

export const INVENTORY_DDL = [
  `CREATE TABLE IF NOT EXISTS inventory_items (
     sku TEXT PRIMARY KEY,
     unit_price BIGINT NOT NULL,
     available INTEGER NOT NULL,
     received INTEGER NOT NULL
   )`,
  // No unique constraint on key: exactly-once is the effect store's job, and verify() checks it.
  `CREATE TABLE IF NOT EXISTS inventory_reservations (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     order_id TEXT NOT NULL,
     items TEXT NOT NULL,
     amount BIGINT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS inventory_reservations_key ON inventory_reservations (key)',
  // One row per order id: the warehouse reserves for an order once, whichever run (and key) asks.
  `CREATE TABLE IF NOT EXISTS inventory_orders (
     order_id TEXT PRIMARY KEY,
     reservation_key TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
];

/** A line of an order: how many of one SKU. */
export const orderLineSchema = z.object({
  sku: z.string().min(1, 'expected a SKU'),
  quantity: z.number().int('expected a whole quantity').positive('expected a positive quantity'),
});
/** A line of an order. */
export type OrderLine = z.infer<typeof orderLineSchema>;

const key = z.string().min(1, 'expected a non-empty idempotency key');
const reserveSchema = z.object({
  key,
  orderId: z.string().min(1, 'expected an order id'),
  items: z.array(orderLineSchema).min(1, 'expected at least one item'),
});
const releaseSchema = z.object({ key, reservationKey: key });

/** Reserve stock for an order's lines. */
export type ReserveInventoryRequest = z.infer<typeof reserveSchema>;

/** A SKU to put on the shelves when seeding the warehouse. */
export interface StockItem {
  sku: string;
  /** Price per unit in cents; reservations price the order from it. */
  unitPrice: number;
  quantity: number;
}

/** Puts SKUs on the shelves, exactly once per SKU. For tests, the demo and benchmarks; not an activity. */
export async function stockItems(store: EffectStore, items: StockItem[]): Promise<void> {
  for (const item of items) {
    for (const field of ['unitPrice', 'quantity'] as const) {
      if (!Number.isSafeInteger(item[field]) || item[field] < 0) {
        throw new Error(`stockItems: ${field} of "${item.sku}" must be a whole, non-negative number, got ${item[field]}`);
      }
    }
    await applyEffect(store, `inventory/stock/${item.sku}`, item, (tx) =>
      tx.run('INSERT INTO inventory_items (sku, unit_price, available, received) VALUES (?, ?, ?, ?)', [
        item.sku,
        item.unitPrice,
        item.quantity,
        item.quantity,
      ]),
    );
  }
}

/** Every SKU's stock: on the shelf (`available`) and ever received. */
export async function stockLevels(store: Pick<StoreTx, 'all'>): Promise<Record<string, { available: number; received: number }>> {
  const rows = await store.all<{ sku: string; available: number | string; received: number | string }>(
    'SELECT sku, available, received FROM inventory_items ORDER BY sku',
  );
  return Object.fromEntries(
    rows.map((r) => [r.sku, { available: checkedCents(r.available, `available of ${r.sku}`), received: checkedCents(r.received, `received of ${r.sku}`) }]),
  );
}

/**
 * Claims `orderId` for the reservation under `key`, or refuses with `AlreadySubmitted` when another
 * key (another run, say one that reused the workflow id) already reserved for it. Inside the
 * reservation's transaction, so a refused reservation claims nothing.
 */
async function claimOrder(tx: StoreTx, orderId: string, key: string): Promise<void> {
  const claimed = await tx.get<{ reservation_key: string }>('SELECT reservation_key FROM inventory_orders WHERE order_id = ?', [orderId]);
  if (claimed && claimed.reservation_key !== key) {
    reject(
      RejectionType.alreadySubmitted,
      `order "${orderId}" was already submitted by another run; its effects stand. To order again, use a new order id`,
      { orderId },
    );
  }
  if (!claimed) {
    await tx.run('INSERT INTO inventory_orders (order_id, reservation_key, created_at) VALUES (?, ?, ?)', [orderId, key, new Date().toISOString()]);
  }
}

export function createInventoryActivities(store: EffectStore) {
  return {
    /**
     * Reserves every line of an order, all or nothing, and prices it. Rejects with `UnknownSku` or
     * `OutOfStock` (details: sku, requested, available).
     */
    async reserveInventory(request: ReserveInventoryRequest): Promise<{ reservationId: string; amount: number }> {
      const req = parseOrReject('reserveInventory request', reserveSchema, request);
      return applyEffect(store, req.key, req, async (tx) => {
        await claimOrder(tx, req.orderId, req.key);
        const priced: { unitPrice: number; quantity: number }[] = [];
        for (const line of req.items) {
          const item = await tx.get<{ unit_price: number | string; available: number | string }>(
            'SELECT unit_price, available FROM inventory_items WHERE sku = ?',
            [line.sku],
          );
          if (!item) reject(RejectionType.unknownSku, `SKU "${line.sku}" is not in the catalogue`, { sku: line.sku });
          const taken = await tx.run('UPDATE inventory_items SET available = available - ? WHERE sku = ? AND available >= ?', [
            line.quantity,
            line.sku,
            line.quantity,
          ]);
          if (taken.changes !== 1) {
            // Rolls back the lines already taken: a reservation is all or nothing.
            const available = checkedCents(item.available, `available of ${line.sku}`);
            reject(RejectionType.outOfStock, `SKU "${line.sku}": ${line.quantity} requested, ${available} available`, {
              sku: line.sku,
              requested: line.quantity,
              available,
            });
          }
          priced.push({ unitPrice: checkedCents(item.unit_price, `unit price of ${line.sku}`), quantity: line.quantity });
        }
        // Exact (BigInt) and bounded, so the charge that follows is a whole, safe number of cents.
        const total = lineTotal(priced);
        if (total > BigInt(MAX_AMOUNT_CENTS)) {
          reject(
            RejectionType.invalidRequest,
            `invalid reserveInventory request: items: the order totals ${total} cents, more than the maximum of ${MAX_AMOUNT_CENTS}`,
            { problems: [`items: the order totals ${total} cents, more than the maximum of ${MAX_AMOUNT_CENTS}`] },
          );
        }
        const amount = Number(total);
        const reservationId = `res-${randomUUID()}`;
        const now = new Date().toISOString();
        await tx.run(
          `INSERT INTO inventory_reservations (id, key, order_id, items, amount, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'reserved', ?, ?)`,
          [reservationId, req.key, req.orderId, JSON.stringify(req.items), amount, now, now],
        );
        return { reservationId, amount };
      });
    },

    /** Compensation of `reserveInventory`: puts the goods reserved under `reservationKey` back, if any. */
    async releaseInventory(request: { key: string; reservationKey: string }): Promise<{ outcome: CompensationOutcome }> {
      const req = parseOrReject('releaseInventory request', releaseSchema, request);
      const outcome = await compensateEffect(store, 'inventory', req.key, req.reservationKey, async (tx) => {
        const held = await tx.all<{ id: string; items: string }>(
          "SELECT id, items FROM inventory_reservations WHERE key = ? AND status = 'reserved'",
          [req.reservationKey],
        );
        for (const r of held) {
          for (const line of JSON.parse(r.items) as OrderLine[]) {
            await tx.run('UPDATE inventory_items SET available = available + ? WHERE sku = ?', [line.quantity, line.sku]);
          }
          await tx.run("UPDATE inventory_reservations SET status = 'released', updated_at = ? WHERE id = ?", [
            new Date().toISOString(),
            r.id,
          ]);
        }
        return held.length > 0;
      });
      return { outcome };
    },
  };
}
