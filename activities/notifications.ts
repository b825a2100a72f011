/**
 * The simulated notification service behind `orderFulfillment`: messages to customers. A message
 * cannot be unsent, so the compensation of a notification is a correction that refers to it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  parseOrReject,
  applyEffect,
  compensateEffect,
  type CompensationOutcome,
  type EffectStore,
  type StoreTx,
} from 'steadfast/activity';

export const NOTIFICATIONS_DDL = [
  // No unique constraint on key: exactly-once is the effect store's job, and verify() checks it.
  `CREATE TABLE IF NOT EXISTS notifications (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     recipient TEXT NOT NULL,
     subject TEXT NOT NULL,
     body TEXT NOT NULL,
     kind TEXT NOT NULL,
     ref TEXT,
     created_at TEXT NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS notifications_key ON notifications (key)',
];

const key = z.string().min(1, 'expected a non-empty idempotency key');
const notifySchema = z.object({
  key,
  recipient: z.email('expected an email address'),
  subject: z.string().min(1, 'expected a subject'),
  body: z.string(),
});
const retractSchema = z.object({ key, notificationKey: key });

/** Send a message to a customer. */
export type NotifyCustomerRequest = z.infer<typeof notifySchema>;

export function createNotificationActivities(store: EffectStore) {
  async function send(tx: StoreTx, k: string, m: Omit<NotifyCustomerRequest, 'key'>, kind: string, ref: string | null) {
    const id = `msg-${randomUUID()}`;
    await tx.run(
      'INSERT INTO notifications (id, key, recipient, subject, body, kind, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, k, m.recipient, m.subject, m.body, kind, ref, new Date().toISOString()],
    );
    return id;
  }

  return {
    /** Sends the message once per key. */
    async notifyCustomer(request: NotifyCustomerRequest): Promise<{ notificationId: string }> {
      const req = parseOrReject('notifyCustomer request', notifySchema, request);
      return applyEffect(store, req.key, req, async (tx) => ({ notificationId: await send(tx, req.key, req, 'message', null) }));
    },

    /**
     * Compensation of `notifyCustomer`: sends a correction for the message sent under
     * `notificationKey`, if one was sent.
     */
    async retractNotification(request: { key: string; notificationKey: string }): Promise<{ outcome: CompensationOutcome }> {
      const req = parseOrReject('retractNotification request', retractSchema, request);
      const outcome = await compensateEffect(store, 'notifications', req.key, req.notificationKey, async (tx) => {
        const sent = await tx.get<{ recipient: string; subject: string }>(
          "SELECT recipient, subject FROM notifications WHERE key = ? AND kind = 'message'",
          [req.notificationKey],
        );
        if (!sent) return false;
        await send(
          tx,
          req.key,
          {
            recipient: sent.recipient,
            subject: `Correction: ${sent.subject}`,
            body: 'Please disregard our previous message: this order was cancelled and nothing will be charged or shipped.',
          },
          'correction',
          req.notificationKey,
        );
        return true;
      });
      return { outcome };
    },
  };
}
