import { readFileSync } from 'node:fs';
import { fromBase64, fromUtf8 } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import { ALICE, ARGS, baseClaims, MALLORY, NOW, POLICY_HASH, signed, signRaw, statementOf } from '../test/helpers.js';
import { digestArgs, freezeArgs } from './args.js';
import { type AttestationErrorCode, ATTESTATION_ERROR_CODES } from './errors.js';
import { createReplayCache } from './replay-cache.js';
import { PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE } from './schema.js';
import { signCall } from './sign.js';
import { createTrustStore } from './trust-store.js';
import { assertCall, assertCallSync, createCallVerifier, verifyCall, verifyCallSync } from './verify-call.js';

const trust = createTrustStore([ALICE.id]);
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('signCall', () => {
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
    expect((await verifyCall(envelopeJson, { trust, args: ARGS, now: NOW })).ok).toBe(true);
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
        now: NOW,
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
      expect((await verifyCall(call.envelope, { trust, now: NOW, ...opts })).ok).toBe(true);
    }
  });

  it('accepts the bare did as keyid', async () => {
    const signer = { ...ALICE, id: ALICE.id, publicKey: ALICE.publicKey, keyId: ALICE.id, sign: ALICE.sign };
    const call = await signed({ signer });
    expect(call.envelope.signatures[0]?.keyid).toBe(ALICE.id);
    expect((await verifyCall(call.envelope, { trust, args: ARGS, now: NOW })).ok).toBe(true);
  });

  it('accepts within the skew at both ends and refuses just past it', async () => {
    const call = await signed();
    const at = (ms: number) => verifyCallSync(call.envelope, { trust, args: ARGS, now: later(ms) });
    expect(at(-30_000).ok).toBe(true);
    expect(at(-30_001)).toMatchObject({ code: 'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID' });
    expect(at(60_000 + 29_999).ok).toBe(true);
    expect(at(60_000 + 30_000)).toMatchObject({ code: 'ERR_ATTESTATION_ENVELOPE_EXPIRED' });
    const strict = (ms: number) => verifyCallSync(call.envelope, { trust, args: ARGS, now: later(ms), clockSkewMs: 0 });
    expect(strict(59_999).ok).toBe(true);
    expect(strict(60_000)).toMatchObject({ code: 'ERR_ATTESTATION_ENVELOPE_EXPIRED' });
  });

  it('assert variants return claims or throw AttestationError with the code', async () => {
    const call = await signed();
    expect(await assertCall(call.envelope, { trust, args: ARGS, now: NOW })).toEqual(call.claims);
    expect(assertCallSync(call.envelope, { trust, args: ARGS, now: NOW })).toEqual(call.claims);
    await expect(assertCall(call.envelope, { trust, args: {}, now: NOW })).rejects.toMatchObject({
      name: 'AttestationError',
      code: 'ERR_ATTESTATION_ARGS_MISMATCH',
    });
    expect(() => assertCallSync(call.envelope, { trust, args: ARGS, now: later(3_600_000) })).toThrow(
      expect.objectContaining({ code: 'ERR_ATTESTATION_ENVELOPE_EXPIRED' }),
    );
  });

  it('createCallVerifier remembers nonces by default', async () => {
    const verifier = createCallVerifier({ trust });
    const call = await signed();
    expect((await verifier.verify(call.envelope, { args: ARGS, now: NOW })).ok).toBe(true);
    expect(await verifier.verify(call.envelope, { args: ARGS, now: NOW })).toMatchObject({
      code: 'ERR_ATTESTATION_REPLAY',
    });
    await expect(verifier.assert(call.envelope, { args: ARGS, now: NOW })).rejects.toMatchObject({
      code: 'ERR_ATTESTATION_REPLAY',
    });
    // A fresh nonce is a fresh call.
    const next = await signed({ nonce: 'AAECAwQFBgcICQoLDA0OEA' });
    expect(await verifier.assert(next.envelope, { args: ARGS, now: NOW })).toEqual(next.claims);
  });

  it('checks replay only after every other check (a bad envelope uses no nonce slot)', async () => {
    const replayCache = createReplayCache();
    const call = await signed();
    expect(await verifyCall(call.envelope, { trust, args: {}, now: NOW, replayCache })).toMatchObject({
      code: 'ERR_ATTESTATION_ARGS_MISMATCH',
    });
    expect(replayCache.size).toBe(0);
    expect((await verifyCall(call.envelope, { trust, args: ARGS, now: NOW, replayCache })).ok).toBe(true);
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
  ['ERR_ATTESTATION_ENVELOPE_MALFORMED', () => codeOf(verifyCall('{"payloadType":', { trust, args: ARGS, now: NOW }))],
  [
    'ERR_ATTESTATION_ENVELOPE_TOO_LARGE',
    () => codeOf(verifyCall(' '.repeat(100_000), { trust, args: ARGS, now: NOW })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE',
    async () =>
      codeOf(
        verifyCall(await signRaw(statementOf(baseClaims()), ALICE, 'application/json'), {
          trust,
          args: ARGS,
          now: NOW,
        }),
      ),
  ],
  [
    'ERR_ATTESTATION_KEY_UNTRUSTED',
    async () => codeOf(verifyCall((await signed({ signer: MALLORY })).envelope, { trust, args: ARGS, now: NOW })),
  ],
  ['ERR_ATTESTATION_KEY_INVALID', () => thrownCode(() => createTrustStore(['did:key:z6MkNotAKey']))],
  [
    'ERR_ATTESTATION_SIGNATURE_INVALID',
    async () => {
      const { envelope } = await signed();
      const other = (await signed({ callId: 'call-2' })).envelope;
      const spliced = { ...envelope, signatures: other.signatures };
      return codeOf(verifyCall(spliced, { trust, args: ARGS, now: NOW }));
    },
  ],
  [
    'ERR_ATTESTATION_STATEMENT_INVALID',
    async () =>
      codeOf(verifyCall(await signRaw(statementOf(baseClaims({ extra: 1 }))), { trust, args: ARGS, now: NOW })),
  ],
  [
    'ERR_ATTESTATION_AGENT_MISMATCH',
    async () =>
      codeOf(
        verifyCall(await signRaw(statementOf(baseClaims({ agent: MALLORY.id }))), { trust, args: ARGS, now: NOW }),
      ),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_EXPIRED',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, now: later(120_000) })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, now: later(-60_000) })),
  ],
  [
    'ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG',
    async () => codeOf(verifyCall((await signed({ ttlMs: 3_600_000 })).envelope, { trust, args: ARGS, now: NOW })),
  ],
  [
    'ERR_ATTESTATION_ARGS_MISMATCH',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: { ...ARGS, amount: 2500 }, now: NOW })),
  ],
  [
    'ERR_ATTESTATION_ARGS_INVALID',
    async () => codeOf(verifyCall((await signed()).envelope, { trust, args: { amount: Number.NaN }, now: NOW })),
  ],
  [
    'ERR_ATTESTATION_TOOL_MISMATCH',
    async () =>
      codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, now: NOW, expectedTool: 'delete_account' })),
  ],
  [
    'ERR_ATTESTATION_CALL_ID_MISMATCH',
    async () =>
      codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, now: NOW, expectedCallId: 'call-9' })),
  ],
  [
    'ERR_ATTESTATION_REPLAY',
    async () => {
      const replayCache = createReplayCache();
      const { envelope } = await signed();
      await verifyCall(envelope, { trust, args: ARGS, now: NOW, replayCache });
      return codeOf(verifyCall(envelope, { trust, args: ARGS, now: NOW, replayCache }));
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
      return codeOf(verifyCall((await signed()).envelope, { trust, args: ARGS, now: NOW, replayCache }));
    },
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
