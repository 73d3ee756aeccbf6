import { toBase64, utf8 } from '@agentguard/statement';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALICE, ARGS, baseClaims, MALLORY, NOW, NOW_MS, signed, signRaw, statementOf } from '../test/helpers.js';
import type { AttestationErrorCode } from './errors.js';
import { createReplayCache } from './replay-cache.js';
import { type DsseEnvelope, PAYLOAD_TYPE } from './schema.js';
import { signCall } from './sign.js';
import { createTrustStore } from './trust-store.js';
import { verifyCall } from './verify-call.js';

const trust = createTrustStore([ALICE.id]);
let good: DsseEnvelope;
let goodText: string;
beforeAll(async () => {
  good = (await signed()).envelope;
  goodText = JSON.stringify(good);
});
const sig = () => good.signatures[0] as { keyid: string; sig: string };
const withSig = (patch: Record<string, unknown>) => ({ ...good, signatures: [{ ...sig(), ...patch }] });

type Row = readonly [name: string, input: () => unknown | Promise<unknown>, code: AttestationErrorCode];

// Envelope-level hostile input: every row must be refused with exactly this code, never throw, never accept.
const ENVELOPE_ROWS: Row[] = [
  ['undefined', () => undefined, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['null', () => null, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['a number', () => 42, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['an array', () => [good], 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['a function', () => () => good, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['empty text', () => '', 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['truncated text', () => goodText.slice(0, -1), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['text with trailing garbage', () => `${goodText}x`, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['text with a BOM', () => `\uFEFF${goodText}`, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['bytes that are not UTF-8', () => new Uint8Array([0x7b, 0xff, 0x7d]), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['huge text', () => `${goodText}${' '.repeat(200_000)}`, 'ERR_ATTESTATION_ENVELOPE_TOO_LARGE'],
  ['huge bytes', () => new Uint8Array(200_000).fill(0x20), 'ERR_ATTESTATION_ENVELOPE_TOO_LARGE'],
  ['huge payload field', () => ({ ...good, payload: 'A'.repeat(200_000) }), 'ERR_ATTESTATION_ENVELOPE_TOO_LARGE'],
  ['deeply nested text', () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['duplicate payload names', () => goodText.replace('{', `{"payload":"e30=",`), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  [
    'duplicate signature names',
    () => goodText.replace('{"keyid"', '{"sig":"AA==","keyid"'),
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ],
  [
    '__proto__ member in text',
    () => goodText.replace('{', '{"__proto__":{"x":1},'),
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ],
  [
    '__proto__ own member in object',
    () => JSON.parse(goodText.replace('{', '{"__proto__":{},')),
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ],
  ['extra top-level field', () => ({ ...good, extra: true }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['extra signature field', () => withSig({ cert: 'x' }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  [
    'missing payload',
    () => ({ payloadType: good.payloadType, signatures: good.signatures }),
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ],
  ['payload of wrong type', () => ({ ...good, payload: 12 }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['signatures not an array', () => ({ ...good, signatures: sig() }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['no signature', () => ({ ...good, signatures: [] }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['two signatures', () => ({ ...good, signatures: [sig(), sig()] }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  [
    'signature without keyid',
    () => ({ ...good, signatures: [{ sig: sig().sig }] }),
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ],
  ['keyid of wrong type', () => withSig({ keyid: 7 }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['payload not base64', () => ({ ...good, payload: '!!!!' }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  [
    'payload without padding',
    () => ({ ...good, payload: good.payload.replace(/=+$/, '') || 'e30' }),
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ],
  ['payload with whitespace', () => ({ ...good, payload: ` ${good.payload}` }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['sig not base64', () => withSig({ sig: '****' }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['sig non-canonical base64', () => withSig({ sig: 'QR==' }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['sig too long', () => withSig({ sig: 'A'.repeat(200) }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['sig truncated', () => withSig({ sig: toBase64(new Uint8Array(63)) }), 'ERR_ATTESTATION_SIGNATURE_INVALID'],
  ['sig all zero', () => withSig({ sig: toBase64(new Uint8Array(64)) }), 'ERR_ATTESTATION_SIGNATURE_INVALID'],
  ['wrong payloadType', () => ({ ...good, payloadType: 'application/json' }), 'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE'],
  [
    'payloadType in other case',
    () => ({ ...good, payloadType: PAYLOAD_TYPE.toUpperCase() }),
    'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE',
  ],
  ['empty payloadType', () => ({ ...good, payloadType: '' }), 'ERR_ATTESTATION_ENVELOPE_MALFORMED'],
  ['unknown keyid', () => withSig({ keyid: MALLORY.keyId }), 'ERR_ATTESTATION_KEY_UNTRUSTED'],
  [
    'keyid with a foreign fragment',
    () => withSig({ keyid: `${ALICE.id}#${MALLORY.id.slice(8)}` }),
    'ERR_ATTESTATION_KEY_UNTRUSTED',
  ],
  ['keyid that is not a did', () => withSig({ keyid: 'alice' }), 'ERR_ATTESTATION_KEY_UNTRUSTED'],
  [
    'keyid relabelled to a trusted key',
    async () => {
      const envelope = (await signed({ signer: MALLORY })).envelope;
      return { ...envelope, signatures: [{ ...envelope.signatures[0], keyid: ALICE.keyId }] };
    },
    'ERR_ATTESTATION_SIGNATURE_INVALID',
  ],
];

// Signed payloads that are not valid call statements: the signature holds, the content does not.
const PAYLOAD_ROWS: Row[] = [
  ['payload not JSON', () => signRaw('not json'), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  ['payload not UTF-8', () => signRaw(new Uint8Array([0xc3, 0x28])), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  ['payload empty', () => signRaw(new Uint8Array()), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  ['payload a JSON array', () => signRaw('[]'), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  ['payload with duplicate names', () => signRaw(`{"a":1,"a":2}`), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  [
    'payload repeating "tool" to smuggle a second reading',
    async () => {
      const text = new TextDecoder().decode(utf8(JSON.stringify(statementOf(baseClaims()))));
      return signRaw(text.replace('"tool":"refund"', '"tool":"refund","tool":"delete_account"'));
    },
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  ['payload with __proto__', () => signRaw(`{"__proto__":{"admin":true}}`), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  [
    'payload nested too deep',
    () => signRaw(`${'['.repeat(100)}${']'.repeat(100)}`),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'wrong _type',
    () => signRaw(statementOf(baseClaims(), { _type: 'https://in-toto.io/Statement/v0.1' })),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'wrong predicateType',
    () => signRaw(statementOf(baseClaims(), { predicateType: 'https://slsa.dev/provenance/v1' })),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'extra statement field',
    () => signRaw(statementOf(baseClaims(), { extra: 1 })),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  ['extra claim', () => signRaw(statementOf(baseClaims({ admin: true }))), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  ['missing claim', () => signRaw(statementOf(baseClaims({ nonce: undefined }))), 'ERR_ATTESTATION_STATEMENT_INVALID'],
  [
    'two subjects',
    () => {
      const s = statementOf(baseClaims());
      return signRaw({ ...s, subject: [...s.subject, ...s.subject] });
    },
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'subject named for another call',
    () => {
      const s = statementOf(baseClaims());
      return signRaw({ ...s, subject: [{ ...s.subject[0], name: 'tool-call:other' }] });
    },
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'subject digest differs from claims',
    () => {
      const s = statementOf(baseClaims());
      return signRaw({ ...s, subject: [{ name: 'tool-call:call-1', digest: { sha256: '0'.repeat(64) } }] });
    },
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'argsDigest upper-case hex',
    () => signRaw(statementOf(baseClaims({ argsDigest: `sha256:${'A'.repeat(64)}` }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'callId with a space',
    () => signRaw(statementOf(baseClaims({ callId: 'call 1' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'tool with a newline',
    () => signRaw(statementOf(baseClaims({ tool: 'refund\nok' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'agent not a did:key',
    () => signRaw(statementOf(baseClaims({ agent: 'did:web:example.com' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'issuedAt without milliseconds',
    () => signRaw(statementOf(baseClaims({ issuedAt: '2026-03-01T12:00:00Z' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'issuedAt with an offset',
    () => signRaw(statementOf(baseClaims({ issuedAt: '2026-03-01T13:00:00.000+01:00' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'issuedAt on 30 February',
    () => signRaw(statementOf(baseClaims({ issuedAt: '2026-02-30T12:00:00.000Z' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'issuedAt as a number',
    () => signRaw(statementOf(baseClaims({ issuedAt: NOW.getTime() }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'expiresAt before issuedAt',
    () => signRaw(statementOf(baseClaims({ expiresAt: '2026-03-01T11:59:00.000Z' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'nonce too short',
    () => signRaw(statementOf(baseClaims({ nonce: 'AAECAwQFBgcICQoLDA0O' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'nonce non-canonical',
    () => signRaw(statementOf(baseClaims({ nonce: 'AAECAwQFBgcICQoLDA0ODx' }))),
    'ERR_ATTESTATION_STATEMENT_INVALID',
  ],
  [
    'claims for another agent',
    () => signRaw(statementOf(baseClaims({ agent: MALLORY.id }))),
    'ERR_ATTESTATION_AGENT_MISMATCH',
  ],
  [
    'valid for a year',
    () => signRaw(statementOf(baseClaims({ expiresAt: '2027-03-01T12:00:00.000Z' }))),
    'ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG',
  ],
];

describe('bad input: verifyCall refuses with a stable code, never throws', () => {
  it.each([...ENVELOPE_ROWS, ...PAYLOAD_ROWS])('%s', async (_, input, code) => {
    const result = await verifyCall(await input(), { trust, args: ARGS, nowMs: NOW_MS });
    expect(result).toMatchObject({ ok: false, code });
    expect((result as { reason: string }).reason.length).toBeGreaterThan(0);
  });

  it('the happy path of the same fixtures is accepted (the table tests what it says)', async () => {
    expect((await verifyCall(good, { trust, args: ARGS, nowMs: NOW_MS })).ok).toBe(true);
    expect((await verifyCall(await signRaw(statementOf(baseClaims())), { trust, args: ARGS, nowMs: NOW_MS })).ok).toBe(
      true,
    );
  });

  it.each([
    ['expired', 61_000 + 30_000, 'ERR_ATTESTATION_ENVELOPE_EXPIRED'],
    ['from the future', -31_000, 'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID'],
  ] as const)('%s', async (_, offset, code) => {
    const result = await verifyCall(good, { trust, args: ARGS, nowMs: NOW_MS + offset });
    expect(result).toMatchObject({ ok: false, code });
  });

  it('replayed', async () => {
    const replayCache = createReplayCache();
    expect((await verifyCall(goodText, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).ok).toBe(true);
    // The same call in another textual form (URL-safe base64, other key order) is the same nonce.
    const urlSafe = {
      signatures: good.signatures,
      payloadType: good.payloadType,
      payload: good.payload.replaceAll('+', '-').replaceAll('/', '_'),
    };
    expect(await verifyCall(urlSafe, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).toMatchObject({
      code: 'ERR_ATTESTATION_REPLAY',
    });
    expect(await verifyCall(good, { trust, args: ARGS, nowMs: NOW_MS + 89_000, replayCache })).toMatchObject({
      code: 'ERR_ATTESTATION_REPLAY',
    });
  });

  it('a hostile getter cannot make verification throw or change its mind', async () => {
    let reads = 0;
    const flaky = {
      payloadType: PAYLOAD_TYPE,
      signatures: good.signatures,
      get payload() {
        reads++;
        return reads === 1 ? good.payload : 'e30=';
      },
    };
    const result = await verifyCall(flaky, { trust, args: ARGS, nowMs: NOW_MS });
    expect(result.ok).toBe(true); // the copy taken at the boundary is what was verified
    const throwing = Object.defineProperty({ ...good }, 'payload', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(await verifyCall(throwing, { trust, args: ARGS, nowMs: NOW_MS })).toMatchObject({ ok: false });
  });
});

describe('custom trust stores fail closed', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('db down');
      },
    ],
    ['answers with a string', () => 'key'],
    ['answers with 31 bytes', () => new Uint8Array(31)],
  ])('a store that %s trusts nothing', async (_, publicKeyFor) => {
    const store = { ...createTrustStore([ALICE.id]), publicKeyFor } as never;
    expect(await verifyCall(good, { trust: store, args: ARGS, nowMs: NOW_MS })).toMatchObject({
      ok: false,
      code: 'ERR_ATTESTATION_KEY_UNTRUSTED',
    });
  });
});

describe('misuse throws TypeError / RangeError', () => {
  const call = { trust, args: ARGS, nowMs: NOW_MS };
  it.each([
    ['no options', undefined, TypeError],
    ['no trust store', { args: ARGS }, TypeError],
    ['trust store of wrong type', { trust: [ALICE.id], args: ARGS }, TypeError],
    ['no args, digest or skip', { trust }, TypeError],
    ['args and digest both', { trust, args: ARGS, argsDigest: 'sha256:00' }, TypeError],
    ['skew above 5 min', { ...call, clockSkewMs: 300_001 }, RangeError],
    ['negative skew', { ...call, clockSkewMs: -1 }, RangeError],
    ['fractional skew', { ...call, clockSkewMs: 1.5 }, RangeError],
    ['maxValidityMs above 1 h', { ...call, maxValidityMs: 3_600_001 }, RangeError],
    ['nowMs NaN', { ...call, nowMs: Number.NaN }, TypeError],
    ['nowMs beyond what a Date holds', { ...call, nowMs: 9e15 }, TypeError],
    ['nowMs as a Date', { ...call, nowMs: new Date() }, TypeError],
    ['expectedTool of wrong type', { ...call, expectedTool: 1 }, TypeError],
    ['replay cache of wrong type', { ...call, replayCache: new Set() }, TypeError],
  ])('verifyCall with %s', async (_, options, type) => {
    await expect(verifyCall(good, options as never)).rejects.toBeInstanceOf(type);
  });

  const input = { signer: ALICE, callId: 'c', tool: 't', args: {}, policyHash: 'p', nowMs: NOW_MS };
  it.each([
    ['no input', undefined, TypeError],
    ['no signer', { ...input, signer: undefined }, TypeError],
    [
      'signer whose keyId is another key',
      { ...input, signer: { ...ALICE, id: ALICE.id, keyId: MALLORY.keyId, sign: ALICE.sign } },
      TypeError,
    ],
    ['callId with a space', { ...input, callId: 'a b' }, TypeError],
    ['empty callId', { ...input, callId: '' }, TypeError],
    ['tool with a control character', { ...input, tool: 'a\u0007' }, TypeError],
    ['empty policyHash', { ...input, policyHash: '' }, TypeError],
    ['nonce of 15 bytes', { ...input, nonce: 'AAECAwQFBgcICQoLDA0O' }, TypeError],
    ['ttlMs 0', { ...input, ttlMs: 0 }, RangeError],
    ['ttlMs above 1 h', { ...input, ttlMs: 3_600_001 }, RangeError],
    ['nowMs Infinity', { ...input, nowMs: Number.POSITIVE_INFINITY }, TypeError],
    ['nowMs as a Date', { ...input, nowMs: new Date() }, TypeError],
  ])('signCall with %s', async (_, bad, type) => {
    await expect(signCall(bad as never)).rejects.toBeInstanceOf(type);
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['NaN', Number.NaN],
    ['a Map', new Map()],
    ['a BigInt', 1n],
    ['a Date', new Date(0)],
  ])('signCall with args holding %s: ERR_ATTESTATION_ARGS_INVALID', async (_, value) => {
    await expect(signCall({ ...input, args: { value } })).rejects.toMatchObject({
      code: 'ERR_ATTESTATION_ARGS_INVALID',
    });
  });

  it('signCall when the signer returns a short signature: ERR_ATTESTATION_SIGNING_FAILED', async () => {
    const signer = { ...ALICE, id: ALICE.id, keyId: ALICE.keyId, sign: async () => new Uint8Array(63) };
    await expect(signCall({ ...input, signer })).rejects.toMatchObject({ code: 'ERR_ATTESTATION_SIGNING_FAILED' });
  });
});
