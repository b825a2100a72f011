/**
 * CLI checks that need no server: a fault plan naming an activity the type does not have, or an
 * unknown kind, is refused with exit 2 and the known names; `schema` prints JSON Schemas generated
 * from the zod schemas. Both exit before any connection (the address below has no server).
 */
import assert from 'node:assert/strict';
import { parseJson, runCli } from './cli-process';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
const transfer = JSON.stringify({ transferId: 't-1', fromAccount: 'acct-alice', toAccount: 'acct-bob', amount: 100 });

describe('steadfast CLI offline: fault plans checked against the type, schemas', function () {
  it('refuses an activity the type does not have, naming the ones it has (exit 2)', async function () {
    const r = await runCli(['start', 'moneyTransfer', '--input', transfer, '--fault-plan', '{"chargePayment": {"kind": "permanent"}}', '--json'], env);
    assert.equal(r.code, 2, r.stderr);
    const { error } = parseJson<Json>(r);
    assert.equal(error.code, 'invalid-fault-plan');
    assert.match(error.message, /chargePayment: no activity of that name; expected one of: withdraw, deposit, reverseWithdrawal, reverseDeposit/);
  });

  it('refuses an unknown kind, a transient fault without times and a plan that is not an object (exit 2)', async function () {
    for (const [plan, problem] of [
      ['{"deposit": {"kind": "permament"}}', /deposit\.kind: expected an object whose kind is one of: transient, permanent, hang, lost-ack, hang-after-effect/],
      ['{"deposit": {"kind": "transient"}}', /deposit\.times: a transient fault needs times/],
      ['"{\\"deposit\\": {\\"kind\\": \\"permanent\\"}}"', /not as a string holding JSON/],
    ] as const) {
      const r = await runCli(['start', 'moneyTransfer', '--input', transfer, '--fault-plan', plan], env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, problem);
    }
  });

  it('schema <type> prints one JSON document: strict input, signals, queries, updates, activities', async function () {
    const r = await runCli(['schema', 'carePathway', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Json;
    assert.equal(s.input.additionalProperties, false);
    assert.deepEqual(s.input.required, ['patientId', 'ward', 'followUpAfter']);
    assert.match(s.input.properties.followUpAfter.description, /ms-style duration/);
    assert.deepEqual(Object.keys(s.signals), ['signOff', 'withdraw']);
    assert.equal(s.queries.state, null);
    assert.equal(s.updates.addNote.additionalProperties, false);
    assert.deepEqual(s.activities, ['admitPatient', 'scheduleFollowUp', 'pageOnCall', 'sendFollowUpReminder', 'cancelAdmission', 'cancelFollowUp']);
    const money = JSON.parse((await runCli(['schema', 'moneyTransfer', '--json'], env)).stdout) as Json;
    assert.equal(money.input.properties.amount.description, 'in cents');
    const unknown = await runCli(['schema', 'noSuchType', '--json'], env);
    assert.equal(unknown.code, 2);
    assert.equal(parseJson<Json>(unknown).error.code, 'unknown-workflow-type');
  });
});
