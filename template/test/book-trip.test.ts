/**
 * `bookTrip` on the time-skipping test server (installed by `npx steadfast setup`, which
 * `npm test` runs first), with a real worker and a real SQLite effect store.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { openStore, type EffectStore } from 'steadfast/activity';
import type { FaultPlan } from 'steadfast/client';
import { startTimeSkippingServer, type TemporalHandle } from 'steadfast/testing';
import { workflowBundle } from 'steadfast/worker';
import { startBookTrip } from '../client/book-trip';
import { createTripWorker } from '../workers/trip-worker';
import type { BookTripInput } from '../workflows';

describe('bookTrip', () => {
  let temporal: TemporalHandle;
  let dir: string;
  let store: EffectStore;

  before(async () => {
    temporal = await startTimeSkippingServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'book-trip-test-'));
    store = openStore(`sqlite:${path.join(dir, 'store.db')}`);
  });

  after(async () => {
    await store?.close();
    await temporal?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Books a trip with a worker running (fault injection on), and returns the run's handle. */
  async function bookWith(faultPlan?: FaultPlan) {
    const taskQueue = `trips-${randomUUID()}`;
    const input: BookTripInput = { tripId: randomUUID(), flight: 'LH123', hotel: 'Hotel Adlon', amount: 45_000 };
    const worker = await createTripWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      store,
      faultInjection: true,
    });
    return worker.runUntil(async () => {
      const handle = await startBookTrip(temporal.client, input, { taskQueue, faultPlan });
      const outcome = await handle.result().then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
      return { input, handle, ...outcome };
    });
  }

  async function rowsOf(table: string, tripId: string): Promise<number> {
    const row = await store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE trip_id = ?`, [tripId]);
    return Number(row?.n);
  }

  /** The activity types the run scheduled, in order (its event history is the record). */
  async function scheduledActivities(handle: { fetchHistory(): Promise<{ events?: unknown[] | null }> }): Promise<string[]> {
    const { events } = await handle.fetchHistory();
    return (events ?? []).flatMap((e) => {
      const name = (e as { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } })
        .activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
  }

  it('completes: a flight, a hotel and a charge', async () => {
    const { input, result, error } = await bookWith();
    assert.equal(error, undefined);
    assert.equal(result?.tripId, input.tripId);
    for (const table of ['flight_bookings', 'hotel_bookings', 'card_charges']) {
      assert.equal(await rowsOf(table, input.tripId), 1, table);
    }
  });

  it('compensates in reverse order when the card charge fails', async () => {
    const { input, handle, error } = await bookWith({ chargeCard: { kind: 'permanent' } });
    assert.ok(error instanceof WorkflowFailedError, `expected the run to fail, got ${String(error)}`);
    assert.deepEqual(await scheduledActivities(handle), [
      'bookFlight',
      'bookHotel',
      'chargeCard',
      'refundCard',
      'cancelHotel',
      'cancelFlight',
    ]);
    for (const table of ['flight_bookings', 'hotel_bookings', 'card_charges']) {
      assert.equal(await rowsOf(table, input.tripId), 0, table);
    }
  });

  it('books the hotel once when its acknowledgement is lost', async () => {
    const { input, handle, error } = await bookWith({ bookHotel: { kind: 'lost-ack' } });
    assert.equal(error, undefined);
    // The lost reply made Temporal retry the step; the store applied its effect once.
    const { events } = await handle.fetchHistory();
    const attempts = (events ?? []).filter((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1);
    assert.ok(attempts.length >= 1, 'expected a retried attempt');
    assert.equal(await rowsOf('hotel_bookings', input.tripId), 1);
  });

  it("replays its recorded history with today's workflow code", async () => {
    const { handle, error } = await bookWith();
    assert.equal(error, undefined);
    const file = path.join(dir, `${handle.workflowId}.history.bin`);
    // Recorded as the server's own encoding, and read back as Temporal's replayer takes it.
    fs.writeFileSync(file, proto.api.history.v1.History.encode(await handle.fetchHistory()).finish());
    const history = proto.api.history.v1.History.decode(fs.readFileSync(file));
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle({ workflowsPath: require.resolve('../workflows') }) },
      history,
      handle.workflowId,
    );
  });
});
