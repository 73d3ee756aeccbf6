import { fromBase64, toBase64 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALICE, NOW_MS } from '../test/helpers.js';
import { digestArgs, freezeArgs } from './args.js';
import { signCall } from './sign.js';
import { createTrustStore } from './trust-store.js';
import { verifyCallSync } from './verify-call.js';

const trust = createTrustStore([ALICE.id]);
// Each run signs with pure-JS Ed25519 (~1 ms); enough runs to explore, few enough to stay quick.
const RUNS = { numRuns: 60 };

// freezeArgs refuses `__proto__` members by design (tested in args.test.ts), so keep them out here.
const hasProtoKey = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (Object.hasOwn(v, '__proto__') || Object.values(v).some(hasProtoKey));
const args = fc.jsonValue({ maxDepth: 4 }).filter((v) => !hasProtoKey(v));
const callId = fc.stringMatching(/^[\x21-\x7E]{1,40}$/);
const tool = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/);

function sign(a: unknown, id = 'c', t = 'tool') {
  return signCall({ signer: ALICE, callId: id, tool: t, args: a, policyHash: 'sha256:p', nowMs: NOW_MS });
}

describe('properties of call envelopes', () => {
  it('sign then verify holds for any JSON args, call id and tool', async () => {
    await fc.assert(
      fc.asyncProperty(args, callId, tool, async (a, id, t) => {
        const { envelope, claims } = await sign(a, id, t);
        const result = verifyCallSync(JSON.stringify(envelope), {
          trust,
          args: a,
          nowMs: NOW_MS,
          expectedCallId: id,
          expectedTool: t,
        });
        expect(result).toEqual({ ok: true, claims, keyid: ALICE.keyId });
      }),
      RUNS,
    );
  });

  it('flipping any bit of the payload makes the signature fail', async () => {
    const { envelope } = await sign({ q: 'x', n: 1 });
    const payload = fromBase64(envelope.payload);
    fc.assert(
      fc.property(fc.nat(payload.length - 1), fc.integer({ min: 0, max: 7 }), (i, bit) => {
        const flipped = payload.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        const result = verifyCallSync(
          { ...envelope, payload: toBase64(flipped) },
          { trust, args: { q: 'x', n: 1 }, nowMs: NOW_MS },
        );
        expect(result).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_SIGNATURE_INVALID' });
      }),
      { numRuns: 200 },
    );
  });

  it('flipping any bit of the signature makes it fail', async () => {
    const { envelope } = await sign({ q: 'x' });
    const sig = fromBase64(envelope.signatures[0]?.sig as string);
    fc.assert(
      fc.property(fc.nat(63), fc.integer({ min: 0, max: 7 }), (i, bit) => {
        const flipped = sig.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        const signatures = [{ keyid: ALICE.keyId, sig: toBase64(flipped) }];
        const result = verifyCallSync({ ...envelope, signatures }, { trust, args: { q: 'x' }, nowMs: NOW_MS });
        expect(result).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_SIGNATURE_INVALID' });
      }),
      { numRuns: 200 },
    );
  });

  it('different args never verify', async () => {
    await fc.assert(
      fc.asyncProperty(args, args, async (a, b) => {
        fc.pre(digestArgs(a) !== digestArgs(b));
        const { envelope } = await sign(a);
        expect(verifyCallSync(envelope, { trust, args: b, nowMs: NOW_MS })).toMatchObject({
          ok: false,
          code: 'ERR_ATTESTATION_ARGS_MISMATCH',
        });
      }),
      RUNS,
    );
  });

  it('freezeArgs keeps the digest and freezes every level', () => {
    fc.assert(
      fc.property(args, (a) => {
        const frozen = freezeArgs(a);
        expect(digestArgs(frozen)).toBe(digestArgs(a));
        const stack: unknown[] = [frozen];
        while (stack.length > 0) {
          const v = stack.pop();
          if (typeof v === 'object' && v !== null) {
            expect(Object.isFrozen(v)).toBe(true);
            stack.push(...Object.values(v));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
