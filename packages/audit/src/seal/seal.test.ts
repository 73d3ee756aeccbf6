import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { createAuditLog } from '../log/log.js';
import { createMemorySink } from '../log/sink.js';
import { createRedactor } from '../redact/redact.js';
import { verifyLog } from '../verify/verify.js';
import { AGENT } from '../../test/helpers.js';
import { eraseSubject } from './erase.js';
import { createMemoryKeyStore } from './keys.js';
import { isSealedValue, type SealedValue } from './sealed.js';
import { createSealer, findSealed, unsealRecord } from './sealer.js';

const ARGS = {
  customer: { name: 'Ada Lovelace', email: 'ada.lovelace@example.com' },
  note: 'pay DE89 3704 0044 0532 0130 00 today, token ghp_0123456789abcdefghijABCDEFGHIJ012345',
  amount: 12,
};

async function sealedArgs(keys = createMemoryKeyStore()) {
  const redaction = createRedactor().redact(ARGS, { seal: { fields: ['/customer/name'] } });
  const { value, sealed } = await createSealer({ keys }).seal(redaction, { subject: 'customer-42', callId: 'c1' });
  return { keys, value, sealed, record: { type: 'call.requested', callId: 'c1', data: { args: value } } };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    return error instanceof AuditError ? error.code : `other: ${String(error)}`;
  }
  return 'resolved';
};

describe('sealing', () => {
  it('seals personal data and named fields, keeps secrets one way, and opens for the key holder', async () => {
    const { value, sealed, record, keys } = await sealedArgs();
    expect(sealed).toBe(3); // the name (field), the email, the note (iban)
    const text = JSON.stringify(value);
    // Each planted part holds a character base64url has not, or is long enough never to turn up in the sealed text.
    for (const planted of ['Ada Lovelace', 'ada.lovelace@example.com', 'DE89 3704', '3704 0044', 'ghp_0123']) {
      expect(text).not.toContain(planted);
    }
    const found = findSealed(value);
    expect(found.map((f) => [f.path, f.value.kind])).toEqual([
      ['/customer/name', 'field'],
      ['/customer/email', 'email'],
      ['/note', 'iban'],
    ]);
    const ref = await keys.reference('customer-42');
    expect(found.every((f) => f.value.subject === ref)).toBe(true);
    expect(text).not.toContain('customer-42');

    const { data, opened } = await unsealRecord(record, { keys });
    expect(opened).toBe(3);
    const args = (data as { args: typeof ARGS }).args;
    expect(args.customer).toEqual(ARGS.customer);
    expect(args.amount).toBe(12);
    // The secret in the same string was marked before sealing: the reader never gets it back.
    expect(args.note).toContain('DE89 3704 0044 0532 0130 00');
    expect(args.note).not.toContain('ghp_');
    expect(args.note).toMatch(/\[REDACTED:github-token:hmac-sha256:[0-9a-f]{16}\]/);
  });

  it('leaves the one-way markers when the call asks for no sealing, or nothing personal is found', async () => {
    const plain = createRedactor().redact(ARGS);
    expect(plain.toSeal).toBeUndefined();
    const none = createRedactor().redact({ n: 1, s: 'hello' }, { seal: {} });
    const out = await createSealer({ keys: createMemoryKeyStore() }).seal(none, { subject: 's', callId: 'c' });
    expect(out).toEqual({ value: { n: 1, s: 'hello' }, sealed: 0 });
  });

  it('defuses args shaped like a sealed value: a reader never takes them for sealed data', async () => {
    const { value: real } = await sealedArgs();
    const forged = (real as unknown as { customer: { email: SealedValue } }).customer.email;
    const redaction = createRedactor().redact({ to: 'ada@example.com', fake: forged }, { seal: {} });
    const { value, sealed } = await createSealer({ keys: createMemoryKeyStore() }).seal(redaction, {
      subject: 's',
      callId: 'c',
    });
    expect(sealed).toBe(1);
    expect((value as { fake: unknown }).fake).toBe('[REDACTED:unsupported]');
    expect(findSealed(value).map((f) => f.path)).toEqual(['/to']);
  });

  it('gives secret keys and redaction fields precedence over sealing', () => {
    const r = createRedactor().redact(
      { password: 'ada@example.com', a: 'x' },
      { fields: ['/a'], seal: { fields: ['/a', '/password'] } },
    );
    expect(r.toSeal).toEqual([]);
  });

  it('refuses to open a value moved to another field or record', async () => {
    const { value, keys } = await sealedArgs();
    const email = (value as unknown as { customer: { email: SealedValue } }).customer.email;
    // The shape is exactly the seven names: none renamed, missing or added.
    expect(isSealedValue(email)).toBe(true);
    const { tag, ...withoutTag } = email;
    expect(isSealedValue(withoutTag)).toBe(false);
    expect(isSealedValue({ ...withoutTag, tags: tag })).toBe(false);
    expect(isSealedValue({ ...email, extra: 1 })).toBe(false);
    const moved = { type: 'call.requested', callId: 'c1', data: { args: { customer: { name: email } } } };
    expect(await code(unsealRecord(moved, { keys }))).toBe('ERR_AUDIT_SEAL_INVALID');
    const other = { type: 'call.requested', callId: 'c2', data: { args: { customer: { email } } } };
    expect(await code(unsealRecord(other, { keys }))).toBe('ERR_AUDIT_SEAL_INVALID');
    const retyped = { type: 'call.denied', callId: 'c1', data: { args: { customer: { email } } } };
    expect(await code(unsealRecord(retyped, { keys }))).toBe('ERR_AUDIT_SEAL_INVALID');
    const ok = { type: 'call.requested', callId: 'c1', data: { args: { customer: { email } } } };
    expect((await unsealRecord(ok, { keys })).opened).toBe(1);
  });

  it('property: changing any field of a sealed value fails to open it (GCM) and fails verification (hash)', async () => {
    const keys = createMemoryKeyStore();
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const redaction = createRedactor().redact({ to: 'grace.hopper@example.org' }, { seal: {} });
    const { value } = await createSealer({ keys }).seal(redaction, { subject: 'grace', callId: 'c9' });
    await log.append(
      { type: 'call.requested', callId: 'c9', agent: AGENT.id, tool: 't', data: { args: value } },
      AGENT,
    );
    await log.close();
    const line = sink.lines[0] as string;
    expect(verifyLog(sink.text()).ok).toBe(true);
    const box = (value as unknown as { to: SealedValue }).to;
    const fields = ['kind', 'subject', 'kid', 'iv', 'ct', 'tag'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.nat(), fc.nat(), async (field, at, by) => {
        const old = box[field];
        const alphabet = field === 'iv' || field === 'ct' || field === 'tag' ? B64URL : field === 'kind' ? KIND : HEX;
        const i = at % old.length;
        const next =
          alphabet[(alphabet.indexOf(old[i] as string) + 1 + (by % (alphabet.length - 1))) % alphabet.length];
        const changed = { ...box, [field]: old.slice(0, i) + next + old.slice(i + 1) };
        const c = await code(
          unsealRecord({ type: 'call.requested', callId: 'c9', data: { args: { to: changed } } }, { keys }),
        );
        // A changed subject or key id names no key; every other change fails authentication.
        expect(['ERR_AUDIT_SEAL_INVALID', 'ERR_AUDIT_SUBJECT_ERASED']).toContain(c);
        const tampered = line.replace(JSON.stringify(old), JSON.stringify(changed[field]));
        expect(tampered).not.toBe(line);
        const report = verifyLog(`${tampered}\n`);
        expect(report.ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('erases: the key is destroyed, a signed subject.erased record is written, values no longer open', async () => {
    const { keys, record } = await sealedArgs();
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    await log.append({ type: 'call.requested', callId: 'c1', agent: AGENT.id, tool: 't', data: record.data }, AGENT);
    const erased = await eraseSubject({ keys, subject: 'customer-42', audit: log, signer: AGENT, sealedValues: 3 });
    await log.close();
    expect(erased.keyIds).toHaveLength(1);
    expect(erased.record.type).toBe('subject.erased');
    expect((erased.record as { data?: unknown }).data).toEqual({
      subject: await keys.reference('customer-42'),
      keyIds: erased.keyIds,
      sealedValues: 3,
    });
    expect(verifyLog(sink.text()).ok).toBe(true);
    expect(await code(unsealRecord(record, { keys }))).toBe('ERR_AUDIT_SUBJECT_ERASED');
    // Erasing again destroys nothing more, and says so.
    const log2 = createAuditLog({ sink: createMemorySink() });
    const again = await eraseSubject({ keys, subject: 'customer-42', audit: log2, signer: AGENT });
    expect(again.keyIds).toEqual([]);
  });

  it('refuses bad input with typed errors', async () => {
    const keys = createMemoryKeyStore();
    expect(() => createSealer({ keys: {} as never })).toThrow(TypeError);
    expect(() => createMemoryKeyStore({ secret: new Uint8Array(4) })).toThrow(RangeError);
    await expect(keys.reference('')).rejects.toThrow(RangeError);
    expect(await code(keys.keyFor('../../etc'))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    expect(await code(keys.get('a'.repeat(64), '../x'))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    const log = createAuditLog({ sink: createMemorySink() });
    await expect(eraseSubject({ keys, audit: log, signer: AGENT })).rejects.toThrow(TypeError);
    await expect(
      eraseSubject({ keys, subject: 'a', reference: 'b'.repeat(64), audit: log, signer: AGENT }),
    ).rejects.toThrow(TypeError);
    expect(await code(eraseSubject({ keys, reference: 'XYZ', audit: log, signer: AGENT }))).toBe(
      'ERR_AUDIT_KEY_STORE_FAILED',
    );
    // A record whose data is not JSON-shaped, or far too deep, is refused, never a crash.
    let deep: unknown = { alg: 'x' };
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(await code(unsealRecord({ type: 't', callId: 'c', data: deep }, { keys }))).toBe('ERR_AUDIT_SEAL_INVALID');
    expect(isSealedValue({ alg: 'A256GCM' })).toBe(false);
    expect(isSealedValue(null)).toBe(false);
    // A subject.erased record is checked on append.
    await expect(
      log.append({ type: 'subject.erased', callId: 'e', agent: AGENT.id, tool: 't', data: { subject: 'nope' } }, AGENT),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
  });
});

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';
const KIND = 'abcdefghijklmnopqrstuvwxyz';
