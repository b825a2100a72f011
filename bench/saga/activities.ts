/**
 * The saga benchmark's activities. Steadfast's steps write one row each through the effect store
 * (`applyEffect`: the row and its idempotency key commit together; `compensateEffect` for the
 * undos); the plain ones insert the same rows directly, with no key, as plain Temporal code would.
 * The rows are what the benchmark checks at the end: exactly the steps each result claims, in step
 * order.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { applyEffect, compensateEffect, type EffectStore } from 'steadfast/activity';

/** The benchmark's one table; `seq` orders the rows as they were written. */
export const SAGA_BENCH_DDL = [
  `CREATE TABLE IF NOT EXISTS bench_saga_effects (
     seq BIGINT NOT NULL,
     order_id TEXT NOT NULL,
     step TEXT NOT NULL,
     PRIMARY KEY (order_id, step)
   )`,
];

interface StepRequest {
  key: string;
  orderId: string;
}
interface UndoRequest extends StepRequest {
  forwardKey: string;
}

/** A per-process sequence that also orders rows across steps of one order (one worker process writes them). */
let seq = 0;
const nextSeq = () => Date.now() * 1000 + (seq++ % 1000);

const insert = (orderId: string, step: string) => [
  'INSERT INTO bench_saga_effects (seq, order_id, step) VALUES (?, ?, ?)',
  [nextSeq(), orderId, step],
] as const;

/** The activities of both versions, over one store. */
export function createSagaBenchActivities(store: EffectStore) {
  const step = (name: string) => (req: StepRequest) =>
    applyEffect(store, req.key, req, async (tx) => {
      const [sql, params] = insert(req.orderId, name);
      await tx.run(sql, [...params]);
      return name;
    });
  const undo = (name: string) => (req: UndoRequest) =>
    compensateEffect(store, 'bench', req.key, req.forwardKey, async (tx) => {
      const [sql, params] = insert(req.orderId, name);
      await tx.run(sql, [...params]);
      return true;
    });
  const plain = (name: string) => async (orderId: string) => {
    const [sql, params] = insert(orderId, name);
    await store.run(sql, [...params]);
  };
  const failShip = () => {
    throw ApplicationFailure.create({ type: 'ShipRefused', message: '[benchmark] ship refused before it wrote', nonRetryable: true });
  };
  return {
    reserve: step('reserve'),
    charge: step('charge'),
    async ship(req: StepRequest & { fail: boolean }) {
      if (req.fail) failShip();
      return step('ship')(req);
    },
    refund: undo('refund'),
    release: undo('release'),
    plainReserve: plain('reserve'),
    plainCharge: plain('charge'),
    async plainShip(orderId: string, fail: boolean) {
      if (fail) failShip();
      await plain('ship')(orderId);
    },
    plainRefund: plain('refund'),
    plainRelease: plain('release'),
  };
}

export type SagaBenchActivities = ReturnType<typeof createSagaBenchActivities>;
