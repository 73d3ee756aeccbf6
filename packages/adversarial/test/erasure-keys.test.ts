/**
 * Invariant: a sealed value opens only to the very text sealed, for the key that sealed it, where it was sealed; any
 * change to it (its IV, ciphertext, tag, kind, subject, key id, or the record and field it sits in) is refused with
 * a typed `AuditError`, never decrypted to something else. A subject key store on disk uses only what is exactly a
 * key it made: a file that is truncated, oversized, zeroed, a symbolic link, a FIFO or a directory is refused with
 * `ERR_AUDIT_KEY_STORE_FAILED` (never followed, never waited on), and erasing a subject never writes through a link
 * to a file outside the store.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  createMemoryKeyStore,
  createRedactor,
  createSealer,
  isSealedValue,
  type SealedValue,
  type SubjectKeyStore,
  unsealRecord,
} from '@agentguard/audit';
import { createFileKeyStore } from '@agentguard/audit/node';
import { fromBase64Url, toBase64Url } from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const root = mkdtempSync(join(tmpdir(), 'agentguard-erasure-keys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `store-${n++}`);

const ARGS = { customer: { name: 'Ada Lovelace' }, note: 'mail ada.lovelace@example.com' };

async function sealedRecord(keys: SubjectKeyStore = createMemoryKeyStore()) {
  const redaction = createRedactor().redact(ARGS, { seal: { fields: ['/customer/name'] } });
  const { value } = await createSealer({ keys }).seal(redaction, { subject: 'customer-42', callId: 'c1' });
  return { keys, record: { type: 'call.requested', callId: 'c1', data: { args: value } } };
}

/** What opening a record gives: its data, or the error's code; anything but an AuditError fails the test. */
async function opened(record: { type: string; callId: string; data?: unknown }, keys: SubjectKeyStore) {
  try {
    return { data: (await unsealRecord(record, { keys })).data };
  } catch (error) {
    expect(error).toBeInstanceOf(AuditError);
    return { code: (error as AuditError).code };
  }
}
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AuditError ? error.code : `untyped: ${String(error)}`),
  );

const { keys: memoryKeys, record } = await sealedRecord();
const sealedArgs = record.data.args as unknown as Record<string, unknown>;
const box = (sealedArgs as { customer: { name: SealedValue } }).customer.name;
const withName = (name: unknown) => ({ ...record, data: { args: { ...sealedArgs, customer: { name } } } });

describe('sealed values: a changed one never opens to something else', () => {
  it('the untouched record opens to the sealed values', async () => {
    expect(await opened(record, memoryKeys)).toEqual({ data: { args: ARGS } });
  });

  it.each<[string, (b: SealedValue) => unknown]>([
    ['another IV', (b) => ({ ...b, iv: toBase64Url(fromBase64Url(b.iv).map((x, i) => (i === 0 ? x ^ 1 : x))) })],
    [
      'a flipped ciphertext bit',
      (b) => ({ ...b, ct: toBase64Url(fromBase64Url(b.ct).map((x, i) => (i === 0 ? x ^ 1 : x))) }),
    ],
    [
      'a flipped tag bit',
      (b) => ({ ...b, tag: toBase64Url(fromBase64Url(b.tag).map((x, i) => (i === 15 ? x ^ 0x80 : x))) }),
    ],
    ['a truncated ciphertext', (b) => ({ ...b, ct: toBase64Url(fromBase64Url(b.ct).subarray(1)) })],
    ['an extended ciphertext', (b) => ({ ...b, ct: toBase64Url(new Uint8Array([...fromBase64Url(b.ct), 0])) })],
    ['an empty ciphertext', (b) => ({ ...b, ct: '' })],
    ['a ciphertext of impossible length', (b) => ({ ...b, ct: `${b.ct}A` })],
    ['non-canonical tag bits', (b) => ({ ...b, tag: `${b.tag.slice(0, -1)}${b.tag.endsWith('A') ? 'B' : 'A'}` })],
    ['another kind', (b) => ({ ...b, kind: 'email' })],
    ['another key id', (b) => ({ ...b, kid: '0123456789abcdef' })],
    ['another subject', (b) => ({ ...b, subject: 'f'.repeat(64) })],
  ])('%s is refused with a typed error', async (_label, mutate) => {
    const result = await opened(withName(mutate(box)), memoryKeys);
    expect(result).toHaveProperty('code');
    expect(['ERR_AUDIT_SEAL_INVALID', 'ERR_AUDIT_SUBJECT_ERASED']).toContain((result as { code: string }).code);
  });

  it('a sealed value moved to another field, record type or call id does not open', async () => {
    const moved = { ...record, data: { args: { ...sealedArgs, customer: {}, other: box } } };
    expect(await opened(moved, memoryKeys)).toEqual({ code: 'ERR_AUDIT_SEAL_INVALID' });
    expect(await opened({ ...record, callId: 'c2' }, memoryKeys)).toEqual({ code: 'ERR_AUDIT_SEAL_INVALID' });
    expect(await opened({ ...record, type: 'call.completed' }, memoryKeys)).toEqual({ code: 'ERR_AUDIT_SEAL_INVALID' });
  });

  it('shapes that are almost a sealed value (wrong lengths, __proto__, an extra member) are data, not sealed values', async () => {
    const almost: unknown[] = [
      { ...box, iv: `${box.iv}AAAA` },
      { ...box, iv: box.iv.slice(0, 15) },
      { ...box, tag: `${box.tag}AA` },
      { ...box, alg: 'A128GCM' },
      { ...box, extra: 1 },
      JSON.parse(JSON.stringify(box).replace('{', '{"__proto__":{"alg":"A256GCM"},')),
      JSON.parse(JSON.stringify({ ...box, kid: undefined }).replace('{', '{"__proto__":{"kid":"0123456789abcdef"},')),
      { ...box, ct: 'A'.repeat(1_500_004) },
    ];
    for (const value of almost) {
      expect(isSealedValue(value)).toBe(false);
      const result = await opened(withName(value), memoryKeys);
      expect(result).toEqual({ data: { args: { ...ARGS, customer: { name: value } } } });
    }
  });

  it('a record deeper than the walk bound is a typed refusal, not a stack overflow', async () => {
    const deep = JSON.parse(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`);
    expect(await opened({ type: 'call.requested', callId: 'c1', data: deep }, memoryKeys)).toEqual({
      code: 'ERR_AUDIT_SEAL_INVALID',
    });
  });

  it('fuzz: any change of any field of a sealed value is refused, or opens to exactly the sealed text', async () => {
    const fields = ['iv', 'ct', 'tag', 'kind', 'kid', 'subject'] as const;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.nat(), fc.nat(63), async (field, at, c) => {
        const text = box[field];
        const i = at % text.length;
        const changed = text.slice(0, i) + alphabet[c] + text.slice(i + 1);
        const result = await opened(withName({ ...box, [field]: changed }), memoryKeys);
        if ('data' in result) {
          // Only an unchanged value (or a shape that is no longer a sealed value, kept as data) may come back.
          const name = (result.data as { args: { customer: { name: unknown } } }).args.customer.name;
          expect(name === 'Ada Lovelace' ? changed : name).toEqual(
            name === 'Ada Lovelace' ? text : { ...box, [field]: changed },
          );
        } else {
          expect(['ERR_AUDIT_SEAL_INVALID', 'ERR_AUDIT_SUBJECT_ERASED']).toContain(result.code);
        }
      }),
      fuzzParams(),
    );
  });

  it('fuzz: a key store answering anything (wrong lengths, zeros, junk, throws) gives a typed error or the sealed text', async () => {
    const answer = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 64 }),
      fc.constant(new Uint8Array(32)),
      fc.anything({ maxDepth: 1 }),
      fc.constant('throw'),
    );
    await fc.assert(
      fc.asyncProperty(answer, async (key) => {
        const store: SubjectKeyStore = {
          ...memoryKeys,
          get: async () => {
            if (key === 'throw') throw new Error('store down');
            return key as Uint8Array;
          },
        };
        const result = await opened(record, store);
        if ('data' in result) expect(result.data).toEqual({ args: ARGS });
        else
          expect(['ERR_AUDIT_SEAL_INVALID', 'ERR_AUDIT_SUBJECT_ERASED', 'ERR_AUDIT_KEY_STORE_FAILED']).toContain(
            result.code,
          );
      }),
      fuzzParams(),
    );
  });
});

describe('the key store on disk uses only its own key files', () => {
  async function storeWithKey() {
    const dir = freshDir();
    const keys = createFileKeyStore({ dir });
    const ref = await keys.reference('customer-42');
    const { kid } = await keys.keyFor(ref);
    return { dir, keys, ref, kid, path: join(dir, 'keys', `${ref}.key`) };
  }

  it.each<[string, (bytes: Uint8Array) => Uint8Array]>([
    ['truncated', (b) => b.subarray(0, 39)],
    ['empty', () => new Uint8Array(0)],
    ['oversized', (b) => new Uint8Array([...b, 0])],
    ['huge', () => new Uint8Array(4 << 20).fill(7)],
    ['a zero key', (b) => new Uint8Array([...b.subarray(0, 8), ...new Uint8Array(32)])],
    ['a zero key id', (b) => new Uint8Array([...new Uint8Array(8), ...b.subarray(8)])],
  ])('a %s key file is refused as corrupt, by keyFor and get', async (_label, change) => {
    const { keys, ref, kid, path } = await storeWithKey();
    writeFileSync(path, change(new Uint8Array(readFileSync(path))));
    expect(await codeOf(keys.keyFor(ref))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    expect(await codeOf(keys.get(ref, kid))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
  });

  it('a symbolic link at a key path is refused, not followed to a key someone else knows', async () => {
    const { keys, ref, kid, path } = await storeWithKey();
    const known = join(root, `known-${n++}.key`);
    writeFileSync(known, new Uint8Array([...Buffer.from(kid, 'hex'), ...new Uint8Array(32).fill(0x41)]));
    unlinkSync(path);
    symlinkSync(known, path);
    expect(await codeOf(keys.get(ref, kid))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    expect(await codeOf(keys.keyFor(ref))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    // Sealing with the store fails (write nothing) rather than seal under a key from outside it.
    expect(await codeOf(sealedRecord(keys))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
  });

  it('erasing a subject whose key path is a symbolic link never overwrites the file it points to', async () => {
    const { keys, ref, path } = await storeWithKey();
    const victim = join(root, `victim-${n++}.txt`);
    writeFileSync(victim, 'precious data outside the store');
    unlinkSync(path);
    symlinkSync(victim, path);
    await codeOf(keys.destroy(ref));
    expect(readFileSync(victim, 'utf8')).toBe('precious data outside the store');
    // Left-overs of an interrupted erasure are shredded by name: a link among them is removed, its target kept.
    const { keys: other, ref: otherRef, dir } = await storeWithKey();
    symlinkSync(victim, join(dir, 'keys', `${otherRef}.key.0011223344556677.erasing`));
    await codeOf(other.destroy(otherRef));
    expect(readFileSync(victim, 'utf8')).toBe('precious data outside the store');
  });

  it('a symbolic link as the store secret is refused, for a reader and a writer', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const known = join(root, `secret-${n++}`);
    writeFileSync(known, new Uint8Array(32).fill(9));
    symlinkSync(known, join(dir, 'secret'));
    for (const create of [true, false]) {
      expect(await codeOf(createFileKeyStore({ dir, create }).reference('customer-42'))).toBe(
        'ERR_AUDIT_KEY_STORE_FAILED',
      );
    }
  });

  it.skipIf(process.platform === 'win32')(
    'a FIFO or a directory at a key path is refused at once, never waited on',
    async () => {
      const { keys, ref, kid, path } = await storeWithKey();
      unlinkSync(path);
      execFileSync('mkfifo', [path]);
      try {
        const answer = await Promise.race([
          codeOf(keys.get(ref, kid)),
          new Promise((resolve) => setTimeout(() => resolve('hung'), 2_000)),
        ]);
        expect(answer).toBe('ERR_AUDIT_KEY_STORE_FAILED');
      } finally {
        // Releases a read a broken store left blocked on the FIFO.
        for (let i = 0; i < 4; i++) {
          try {
            closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {}
        }
        unlinkSync(path);
      }
      mkdirSync(path);
      expect(await codeOf(keys.get(ref, kid))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    },
  );

  it('fuzz: a key file of any bytes is a key only when it is exactly 40 bytes with neither part all zero', async () => {
    const { keys, ref, path } = await storeWithKey();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc.uint8Array({ minLength: 40, maxLength: 40 }),
          fc.constant(new Uint8Array(40)),
        ),
        async (bytes) => {
          writeFileSync(path, bytes);
          const kid = Buffer.from(bytes.subarray(0, 8)).toString('hex').padEnd(16, '0');
          const valid =
            bytes.length === 40 && bytes.subarray(0, 8).some((b) => b !== 0) && bytes.subarray(8).some((b) => b !== 0);
          let got: Uint8Array | undefined | string;
          try {
            got = await keys.get(ref, kid);
          } catch (error) {
            expect(error).toBeInstanceOf(AuditError);
            got = (error as AuditError).code;
          }
          if (valid) expect(got).toEqual(bytes.subarray(8));
          else expect(got).toBe('ERR_AUDIT_KEY_STORE_FAILED');
        },
      ),
      fuzzParams(100),
    );
  });
});
