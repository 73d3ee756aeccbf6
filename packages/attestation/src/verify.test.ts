import { readFileSync } from 'node:fs';
import { fromBase64, fromUtf8 } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  ARGS,
  baseClaims,
  MALLORY,
  NOW_MS,
  POLICY_HASH,
  signed,
  signRaw,
  statementOf,
} from '../test/helpers.js';
import { digestArgs, freezeArgs } from './args.js';
import { type AttestationErrorCode, ATTESTATION_ERROR_CODES } from './errors.js';
import { createReplayCache } from './replay-cache.js';
import { PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE } from './schema.js';
import { signCall } from './sign.js';
import { createTrustStore } from './trust-store.js';
import { type VerifyCallOptions, verifyCall, verifyCallSync } from './verify-call.js';

const trust = createTrustStore([ALICE.id]);
const later = (ms: number) => NOW_MS + ms;

describe('signCall', () => {
  it('hands out the payload as a fresh copy each time, as an enumerable member of a frozen result', async () => {
    const call = await signed();
    const first = call.payload;
    first.fill(0);
    expect(fromUtf8(call.payload)).toBe(fromUtf8(fromBase64(call.envelope.payload)));
    expect(call.payload).not.toBe(call.payload);
    expect(Object.keys(call)).toEqual(['envelope', 'claims', 'payload']);
    expect(Object.isFrozen(call)).toBe(true);
    expect(fromUtf8({ ...call }.payload)).toBe(fromUtf8(call.payload));
    // Nothing reachable from the result holds the signed bytes themselves.
    expect(Object.getOwnPropertySymbols(call)).toEqual([]);
    expect(Object.getPrototypeOf(call)).toBe(Object.prototype);
    for (const name of Object.getOwnPropertyNames(call)) {
      const value = (call as unknown as Record<string, unknown>)[name];
      if (value instanceof Uint8Array) value.fill(0);
    }
    expect(fromUtf8(call.payload)).toBe(fromUtf8(fromBase64(call.envelope.payload)));
  });

  it('produces an in-toto Statement v1 in a DSSE envelope, JCS-serialised', async () => {
    const call = await signed();
    expect(call.envelope.payloadType).toBe(PAYLOAD_TYPE);
    expect(call.envelope.signatures).toEqual([{ keyid: ALICE.keyId, sig: expect.any(String) }]);
    const text = fromUtf8(fromBase64(call.envelope.payload));
    expect(text).toBe(fromUtf8(call.payload));
    const statement = JSON.parse(text);
    expect(statement).toEqual({
      _type: STATEMENT_TYPE,
      subject: [{ name: 'tool-call:call-1', digest: { sha256: digestArgs(ARGS).slice(7) } }],
      predicateType: PREDICATE_TYPE,
      predicate: {
        callId: 'call-1',
        agent: ALICE.id,
        tool: 'refund',
        argsDigest: digestArgs(ARGS),
        policyHash: POLICY_HASH,
        issuedAt: '2026-03-01T12:00:00.000Z',
        expiresAt: '2026-03-01T12:01:00.000Z',
        nonce: 'AAECAwQFBgcICQoLDA0ODw',
      },
    });
    // JCS: sorted names, no whitespace.
    expect(text.startsWith('{"_type":"https://in-toto.io/Statement/v1","predicate":{"agent":')).toBe(true);
    expect(call.claims).toEqual(statement.predicate);
  });

  it('is deterministic for fixed inputs and random nonce by default', async () => {
    expect((await signed()).envelope).toEqual((await signed()).envelope);
    const a = await signCall({ signer: ALICE, callId: 'c', tool: 't', args: {}, policyHash: 'p' });
    const b = await signCall({ signer: ALICE, callId: 'c', tool: 't', args: {}, policyHash: 'p' });
    expect(a.claims.nonce).not.toBe(b.claims.nonce);
    expect(a.claims.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('returns frozen results and a fresh payload copy on each read', async () => {
    const call = await signed();
    expect(Object.isFrozen(call.envelope) && Object.isFrozen(call.claims)).toBe(true);
    const payload = call.payload;
    payload[0] = 0;
    expect(call.payload[0]).toBe('{'.charCodeAt(0));
  });

  it('honours ttlMs', async () => {
    const call = await signed({ ttlMs: 5_000 });
    expect(call.claims.expiresAt).toBe('2026-03-01T12:00:05.000Z');
  });
});

describe('format vector (docs/formats/call-envelope.md, "Example")', () => {
  it('reproduces the documented envelope and payload byte for byte', async () => {
    const doc = readFileSync(new URL('../../../docs/formats/call-envelope.md', import.meta.url), 'utf8');
    const example = doc.slice(doc.indexOf('## Example'), doc.indexOf('## Fields'));
    const [envelopeJson, payloadJson] = [...example.matchAll(/```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1] as string),
    );
    const policyHash = 'sha256:5f0c2ad3b6a1e8a3f6b9f4f86c1d3e2a7b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e';
    const call = await signed({ policyHash });
    expect(call.envelope).toEqual(envelopeJson);
    expect(JSON.parse(fromUtf8(call.payload))).toEqual(payloadJson);
    expect(ALICE.id).toBe('did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw');
    expect((await verifyCall(envelopeJson, { trust, args: ARGS, nowMs: NOW_MS })).ok).toBe(true);
  });
});

describe('verifyCall: round trips', () => {
  it('accepts its own envelopes as object, text and bytes', async () => {
    const call = await signed();
    const text = JSON.stringify(call.envelope);
    for (const input of [call.envelope, text, new TextEncoder().encode(text)]) {
      const result = await verifyCall(input, {
        trust,
        args: ARGS,
        nowMs: NOW_MS,
        expectedTool: 'refund',
        expectedCallId: 'call-1',
      });
      expect(result).toEqual({ ok: true, claims: call.claims, keyid: ALICE.keyId });
    }
  });

  it('accepts args in any key order, and by digest, and the frozen copy', async () => {
    const call = await signed();
    const reordered = { currency: 'EUR', amount: 25, orderId: 'A-17' };
    for (const opts of [{ args: reordered }, { argsDigest: digestArgs(ARGS) }, { args: freezeArgs(ARGS) }]) {
      expect((await verifyCall(call.envelope, { trust, nowMs: NOW_MS, ...opts })).ok).toBe(true);
    }
  });

  it('accepts the bare did as keyid', async () => {
    const signer = { ...ALICE, id: ALICE.id, publicKey: ALICE.publicKey, keyId: ALICE.id, sign: ALICE.sign };
    const call = await signed({ signer });
    expect(call.envelope.signatures[0]?.keyid).toBe(ALICE.id);
    expect((await verifyCall(call.envelope, { trust, args: ARGS, nowMs: NOW_MS })).ok).toBe(true);
  });

  it('accepts within the skew at both ends and refuses just past it', async () => {
    const call = await signed();
    const at = (ms: number) => verifyCallSync(call.envelope, { trust, args: ARGS, nowMs: later(ms) });
    expect(at(-30_000).ok).toBe(true);
    expect(at(-30_001)).toMatchObject({ code: 'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID' });
    expect(at(60_000 + 29_999).ok).toBe(true);
    expect(at(60_000 + 30_000)).toMatchObject({ code: 'ERR_ATTESTATION_ENVELOPE_EXPIRED' });
    const strict = (ms: number) =>
      verifyCallSync(call.envelope, { trust, args: ARGS, nowMs: later(ms), clockSkewMs: 0 });
    expect(strict(59_999).ok).toBe(true);
    expect(strict(60_000)).toMatchObject({ code: 'ERR_ATTESTATION_ENVELOPE_EXPIRED' });
  });

  it('verifyCall and verifyCallSync give the same verdict on the same input, with one options type', async () => {
    const call = await signed();
    const cases: VerifyCallOptions[] = [
      { trust, args: ARGS, nowMs: NOW_MS },
      { trust, args: {}, nowMs: NOW_MS },
      { trust, args: ARGS, nowMs: later(3_600_000) },
      { trust: createTrustStore([MALLORY.id]), args: ARGS, nowMs: NOW_MS },
      { trust, argsDigest: call.claims.argsDigest, expectedTool: 'other', nowMs: NOW_MS },
    ];
    for (const options of cases) {
      expect(verifyCallSync(call.envelope, options)).toEqual(await verifyCall(call.envelope, options));
    }
  });

  it('a replay cache kept across calls refuses the second use, in both variants', async () => {
    const replayCache = createReplayCache();
    const call = await signed();
    expect((await verifyCall(call.envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).ok).toBe(true);
    expect(verifyCallSync(call.envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).toMatchObject({
      code: 'ERR_ATTESTATION_REPLAY',
    });
    // A fresh nonce is a fresh call.
    const next = await signed({ nonce: 'AAECAwQFBgcICQoLDA0OEA' });
    expect(verifyCallSync(next.envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).toMatchObject({
      ok: true,
      claims: next.claims,
    });
  });

  it('verifyCallSync refuses to be handed an asynchronous cache (misuse), rather than skip the replay check', async () => {
    const call = await signed();
    const replayCache = { checkAndRemember: async () => true };
    expect(() => verifyCallSync(call.envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).toThrow(TypeError);
  });

  it('a replay cache whose clock is broken fails closed with ERR_ATTESTATION_CLOCK_INVALID', async () => {
    const call = await signed();
    for (const clock of [
      () => Number.NaN,
      () => Number.POSITIVE_INFINITY,
      () => {
        throw new Error('no time');
      },
    ]) {
      const cache = createReplayCache({ clock });
      // Called without nowMs, as a store shared with code that does not pass one would be.
      const replayCache = { checkAndRemember: (key: string, until: number) => cache.checkAndRemember(key, until) };
      expect(verifyCallSync(call.envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).toMatchObject({
        ok: false,
        code: 'ERR_ATTESTATION_CLOCK_INVALID',
      });
    }
  });

  it('checks replay only after every other check (a bad envelope uses no nonce slot)', async () => {
    const replayCache = createReplayCache();
    const call = await signed();
    expect(await verifyCall(call.envelope, { trust, args: {}, nowMs: NOW_MS, replayCache })).toMatchObject({
      code: 'ERR_ATTESTATION_ARGS_MISMATCH',
    });
    expect(replayCache.size).toBe(0);
    expect((await verifyCall(call.envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache })).ok).toBe(true);
    expect(replayCache.size).toBe(1);
  });
});

type Case = readonly [AttestationErrorCode, () => Promise<AttestationErrorCode | undefined>];
const codeOf = async (p: Promise<{ ok: boolean; code?: AttestationErrorCode }>) => (await p).code;
const thrownCode = async (f: () => unknown) => {
  try {
    await f();
  } catch (error) {
    return (error as { code?: AttestationErrorCode }).code;
  }
  return undefined;
};

const CASES: Case[] = [
  [
    'ERR_ATTESTATION_ENVELOPE_MALFORMED',
    () => codeOf(verifyCall('{"payloadType":', { trust, args: ARGS, nowMs: NOW_MS })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_TOO_LARGE',
    () => codeOf(verifyCall(' '.repeat(100_000), { trust, args: ARGS, nowMs: NOW_MS })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE',
    async () =>
      codeOf(
        verifyCall(await signRaw(statementOf(baseClaims()), ALICE, 'application/json'), {
          trust,
          args: ARGS,
          nowMs: NOW_MS,
        }),
      ),
  ],
  [
    'ERR_ATTESTATION_KEY_UNTRUSTED',
    async () => codeOf(verifyCall((await signed({ signer: MALLORY })).envelope, { trust, args: ARGS, nowMs: NOW_MS })),
  ],
  ['ERR_ATTESTATION_KEY_INVALID', () => thrownCode(() => createTrustStore(['did:key:z6MkNotAKey']))],
  [
    'ERR_ATTESTATION_SIGNATURE_INVALID',
    async () => {
      const { envelope } = await signed();
      const other = (await signed({ callId: 'call-2' })).envelope;
      const spliced = { ...envelope, signatures: other.signatures };
      return codeOf(verifyCall(spliced, { trust, args: ARGS, nowMs: NOW_MS }));
    },
  ],
  [
    'ERR_ATTESTATION_STATEMENT_INVALID',
    async () =>
      codeOf(verifyCall(await signRaw(statementOf(baseClaims({ extra: 1 }))), { trust, args: ARGS, nowMs: NOW_MS })),
  ],
  [
    'ERR_ATTESTATION_AGENT_MISMATCH',
    async () =>
      codeOf(
        verifyCall(await signRaw(statementOf(baseClaims({ agent: MALLORY.id }))), { trust, args: ARGS, nowMs: NOW_MS }),
      ),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_EXPIRED',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, nowMs: later(120_000) })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, nowMs: later(-60_000) })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG',
    async () => codeOf(verifyCall((await signed({ ttlMs: 3_600_000 })).envelope, { trust, args: ARGS, nowMs: NOW_MS })),
  ],
  [
    'ERR_ATTESTATION_ARGS_MISMATCH',
    async () =>
      codeOf(verifyCall((await signed()).envelope, { trust, args: { ...ARGS, amount: 2500 }, nowMs: NOW_MS })),
  ],
  [
    'ERR_ATTESTATION_ARGS_INVALID',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: { amount: Number.NaN }, nowMs: NOW_MS })),
  ],
  [
    'ERR_ATTESTATION_TOOL_MISMATCH',
    async () =>
      codeOf(
        verifyCall((await signed()).envelope, { trust, args: ARGS, nowMs: NOW_MS, expectedTool: 'delete_account' }),
      ),
  ],
  [
    'ERR_ATTESTATION_CALL_ID_MISMATCH',
    async () =>
      codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, nowMs: NOW_MS, expectedCallId: 'call-9' })),
  ],
  [
    'ERR_ATTESTATION_REPLAY',
    async () => {
      const replayCache = createReplayCache();
      const { envelope } = await signed();
      await verifyCall(envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache });
      return codeOf(verifyCall(envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache }));
    },
  ],
  [
    'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE',
    async () => {
      const replayCache = {
        checkAndRemember: async () => {
          throw new Error('redis: connection refused');
        },
      };
      return codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, nowMs: NOW_MS, replayCache }));
    },
  ],
  [
    'ERR_ATTESTATION_CLOCK_INVALID',
    () => thrownCode(() => createReplayCache({ clock: () => Number.NaN }).checkAndRemember('k', NOW_MS)),
  ],
  [
    'ERR_ATTESTATION_SIGNING_FAILED',
    () =>
      thrownCode(() =>
        signed({
          signer: {
            ...ALICE,
            id: ALICE.id,
            keyId: ALICE.keyId,
            publicKey: ALICE.publicKey,
            sign: async () => {
              throw new Error('HSM offline');
            },
          },
        }),
      ),
  ],
];

describe('every rejection code is reachable', () => {
  it.each(CASES)('%s', async (code, run) => {
    expect(await run()).toBe(code);
  });

  it('the table covers every code', () => {
    expect(new Set(CASES.map(([code]) => code))).toEqual(new Set(ATTESTATION_ERROR_CODES));
  });
});
