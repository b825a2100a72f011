/**
 * `bookTrip`: a trip is a flight, a hotel and a card charge, or nothing at all.
 *
 *   bookFlight ──► bookHotel ──► chargeCard
 *       │              │             │
 *   cancelFlight ◄─ cancelHotel ◄─ refundCard
 *
 * Each compensation is registered before its step runs (a step that timed out may still have taken
 * effect) and the saga undoes the registered steps in reverse order when a later step fails.
 */
import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import { Saga, parseOrReject, serviceCall, stepKey } from 'steadfast/workflow';
import type { Activities } from '../activities';

/** The input of {@link bookTrip}, checked before any step (and by `steadfast start bookTrip`). */
export const bookTripInputSchema = z
  .object({
    tripId: z.string().min(1, 'expected a trip id'),
    flight: z.string().min(1, 'expected a flight number'),
    hotel: z.string().min(1, 'expected a hotel'),
    amount: z.number().int('expected whole cents').positive('expected a positive amount in cents'),
  })
  .strict();

/** A trip to book. */
export type BookTripInput = z.infer<typeof bookTripInputSchema>;

/** What a booked trip holds. */
export interface BookTripResult {
  tripId: string;
  flightBooking: string;
  hotelBooking: string;
  charge: string;
}

const { bookFlight, bookHotel, chargeCard } = proxyActivities<Activities>(serviceCall);

/** Books a flight and a hotel and charges the card; undoes what it did if a step fails. */
export async function bookTrip(input: BookTripInput): Promise<BookTripResult> {
  const trip = parseOrReject('bookTrip input', bookTripInputSchema, input);
  const saga = new Saga<Activities>();
  return saga.run(async () => {
    const flightBooking = await saga.step(
      'book-flight',
      () => bookFlight({ key: stepKey('book-flight'), tripId: trip.tripId, flight: trip.flight }),
      { activity: 'cancelFlight', args: [{ key: stepKey('cancel-flight'), bookingKey: stepKey('book-flight') }] },
    );
    const hotelBooking = await saga.step(
      'book-hotel',
      () => bookHotel({ key: stepKey('book-hotel'), tripId: trip.tripId, hotel: trip.hotel }),
      { activity: 'cancelHotel', args: [{ key: stepKey('cancel-hotel'), bookingKey: stepKey('book-hotel') }] },
    );
    const charge = await saga.step(
      'charge-card',
      () => chargeCard({ key: stepKey('charge-card'), tripId: trip.tripId, amount: trip.amount }),
      { activity: 'refundCard', args: [{ key: stepKey('refund-card'), chargeKey: stepKey('charge-card') }] },
    );
    return { tripId: trip.tripId, flightBooking, hotelBooking, charge };
  });
}
