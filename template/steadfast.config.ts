/**
 * This project, declared for the `steadfast` CLI: `npx steadfast worker` runs its workflows and
 * activities, `npx steadfast start bookTrip --input '…'` checks the input against the schema below.
 */
import { defineConfig, defineWorkflowType } from 'steadfast';
import { createActivities, prepareStore, type Activities } from './activities';
import { bookTrip } from './workflows';
import { bookTripInputSchema } from './workflows/book-trip';

export default defineConfig({
  workflowsPath: require.resolve('./workflows'),
  activities: createActivities,
  prepareStore,
  workflowTypes: [
    defineWorkflowType({
      workflow: bookTrip,
      summary: 'book a flight and a hotel and charge the card, or undo what was done',
      input: bookTripInputSchema,
      example: { tripId: 'trip-1', flight: 'LH123', hotel: 'Hotel Adlon', amount: 45_000 },
      // The activities a fault plan may name (`steadfast start bookTrip --fault-plan …` checks them).
      activities: ['bookFlight', 'cancelFlight', 'bookHotel', 'cancelHotel', 'chargeCard', 'refundCard'] satisfies (keyof Activities)[],
    }),
  ],
});
