/**
 * The trip's activities, over Steadfast's effect store: each step's effect and the record of its
 * idempotency key commit in one transaction, so a retried step (a lost reply, a crashed worker)
 * applies its effect once. Each compensation undoes only its own step's effect, and tolerates a
 * step that never happened.
 */
import { applyEffect, compensateEffect, type CompensationOutcome, type EffectStore } from 'steadfast/activity';

/** Creates the project's own tables (the store creates Steadfast's); idempotent. */
export async function prepareStore(store: EffectStore): Promise<void> {
  await store.migrate([
    'CREATE TABLE IF NOT EXISTS flight_bookings (key TEXT PRIMARY KEY, trip_id TEXT NOT NULL, flight TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS hotel_bookings (key TEXT PRIMARY KEY, trip_id TEXT NOT NULL, hotel TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS card_charges (key TEXT PRIMARY KEY, trip_id TEXT NOT NULL, amount INTEGER NOT NULL)',
  ]);
}

/** Builds the activity functions over `store`. */
export function createActivities(store: EffectStore) {
  return {
    async bookFlight(req: { key: string; tripId: string; flight: string }): Promise<string> {
      return applyEffect(store, req.key, req, async (tx) => {
        await tx.run('INSERT INTO flight_bookings (key, trip_id, flight) VALUES (?, ?, ?)', [req.key, req.tripId, req.flight]);
        return req.key;
      });
    },
    async cancelFlight(req: { key: string; bookingKey: string }): Promise<CompensationOutcome> {
      return compensateEffect(store, 'flights', req.key, req.bookingKey, async (tx) => {
        const { changes } = await tx.run('DELETE FROM flight_bookings WHERE key = ?', [req.bookingKey]);
        return changes > 0;
      });
    },
    async bookHotel(req: { key: string; tripId: string; hotel: string }): Promise<string> {
      return applyEffect(store, req.key, req, async (tx) => {
        await tx.run('INSERT INTO hotel_bookings (key, trip_id, hotel) VALUES (?, ?, ?)', [req.key, req.tripId, req.hotel]);
        return req.key;
      });
    },
    async cancelHotel(req: { key: string; bookingKey: string }): Promise<CompensationOutcome> {
      return compensateEffect(store, 'hotels', req.key, req.bookingKey, async (tx) => {
        const { changes } = await tx.run('DELETE FROM hotel_bookings WHERE key = ?', [req.bookingKey]);
        return changes > 0;
      });
    },
    async chargeCard(req: { key: string; tripId: string; amount: number }): Promise<string> {
      return applyEffect(store, req.key, req, async (tx) => {
        await tx.run('INSERT INTO card_charges (key, trip_id, amount) VALUES (?, ?, ?)', [req.key, req.tripId, req.amount]);
        return req.key;
      });
    },
    async refundCard(req: { key: string; chargeKey: string }): Promise<CompensationOutcome> {
      return compensateEffect(store, 'cards', req.key, req.chargeKey, async (tx) => {
        const { changes } = await tx.run('DELETE FROM card_charges WHERE key = ?', [req.chargeKey]);
        return changes > 0;
      });
    },
  };
}

/** The activity interface the workflows import as a type. */
export type Activities = ReturnType<typeof createActivities>;
