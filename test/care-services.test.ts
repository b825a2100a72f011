/**
 * The simulated hospital systems on a real store: a repeat under the same key returns the first
 * booking (even at another time, as a reset run would ask), and a key reused for another patient
 * or admission is rejected, non-retryably, before any effect.
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createCareActivities } from '../activities/care';
import type { EffectStore } from '../src/activity/store';
import { RejectionType } from '../contracts/rejections';
import { tempSqliteStore } from './helpers';
import { uniqueId } from 'steadfast/testing';

describe('care services (SQLite store)', function () {
  let store: EffectStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await tempSqliteStore()));
  afterEach(async () => cleanup?.());

  it('books one follow-up per key: a repeat at another time gets the first appointment', async function () {
    const care = createCareActivities(store);
    const key = `${uniqueId('care')}/follow-up`;
    const first = await care.scheduleFollowUp({ key, patientId: 'p-1', admissionId: 'adm-1', at: '2026-12-01T09:00:00.000Z' });
    const again = await care.scheduleFollowUp({ key, patientId: 'p-1', admissionId: 'adm-1', at: '2026-12-03T15:30:00.000Z' });
    assert.deepEqual(again, first);
    const rows = await store.all<{ detail: string }>('SELECT detail FROM care_events WHERE key = ?', [key]);
    assert.equal(rows.length, 1);
    assert.equal(JSON.parse(rows[0].detail).at, '2026-12-01T09:00:00.000Z', 'the first booking stands');
  });

  it('rejects a key reused for another admission, non-retryably, and records nothing new', async function () {
    const care = createCareActivities(store);
    const key = `${uniqueId('care')}/follow-up`;
    await care.scheduleFollowUp({ key, patientId: 'p-1', admissionId: 'adm-1', at: '2026-12-01T09:00:00.000Z' });
    await assert.rejects(
      care.scheduleFollowUp({ key, patientId: 'p-1', admissionId: 'adm-2', at: '2026-12-01T09:00:00.000Z' }),
      (err: unknown) => err instanceof ApplicationFailure && err.type === RejectionType.idempotencyKeyReused && err.nonRetryable,
    );
    const rows = await store.all('SELECT key FROM care_events WHERE key = ?', [key]);
    assert.equal(rows.length, 1);
  });
});
