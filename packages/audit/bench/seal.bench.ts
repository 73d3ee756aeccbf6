/**
 * Sealing cost: redacting a call's args with sealing (personal data found, and named fields, encrypted for the
 * data subject with AES-256-GCM through WebCrypto, key from an in-memory store) against redacting the same args
 * one way (markers), in the same run; and opening the sealed values again (an authorised reader).
 */
import { createMemoryKeyStore, createRedactor, createSealer, unsealRecord } from '../src/index.js';
import { type BenchResult, measure } from '../../../.config/bench-kit.js';

/** A payment call's args: a name (a named field), an email, an IBAN in a note, and plain fields. */
const ARGS = {
  payee: { name: 'Ada Lovelace', email: 'ada.lovelace@example.com', iban: 'GB82 WEST 1234 5698 7654 32' },
  note: 'send the receipt to ada.lovelace@example.com once the transfer clears',
  amount: { value: 1250, currency: 'EUR' },
  reference: 'INV-2026-00042',
  tags: ['monthly', 'supplier'],
};

export async function run(): Promise<BenchResult[]> {
  const redactor = createRedactor();
  const keys = createMemoryKeyStore();
  const sealer = createSealer({ keys });
  const seal = { fields: ['/payee/name'] };
  const target = { subject: 'customer-42', callId: 'c1' };
  const oneWay = await measure(() => redactor.redact(ARGS, { fields: seal.fields }), 500);
  const sealed = await measure(() => sealer.seal(redactor.redact(ARGS, { seal }), target), 500);
  const { value } = await sealer.seal(redactor.redact(ARGS, { seal }), target);
  const record = { type: 'call.requested', callId: 'c1', data: { args: value } };
  const opened = await measure(() => unsealRecord(record, { keys }), 500);
  return [
    { name: 'redact payment args one way (4 markers)', opsPerSec: oneWay },
    {
      name: 'redact and seal payment args (4 sealed values)',
      opsPerSec: sealed,
      baseline: 'one-way redaction of the same args',
      ratio: oneWay / sealed,
      note: `${(1e6 / sealed).toFixed(1)} µs per call; ratio = how many times slower than one-way markers`,
    },
    {
      name: 'unseal a call.requested record (4 values)',
      opsPerSec: opened,
      baseline: 'one-way redaction of the same args',
      ratio: oneWay / opened,
      note: `${(1e6 / opened).toFixed(1)} µs per record`,
    },
  ];
}
