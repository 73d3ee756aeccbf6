/**
 * Invariant: a call envelope is accepted only when a trusted key signed exactly the DSSE PAE of its payload, the
 * payload is a strict in-toto call statement for the expected tool, call id and arguments, it is inside its
 * validity window, and (with a replay cache) it was not accepted before. Any other input, however malformed or
 * hostile, gets a typed refusal with a stable code: verification never throws on data and never accepts.
 */
import {
  ATTESTATION_ERROR_CODES,
  createReplayCache,
  createTrustStore,
  digestArgs,
  signCall,
  verifyCall,
  verifyCallSync,
} from '@agentguard/attestation';
import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const NOW_MS = Date.parse('2026-06-01T12:00:00.000Z');
const agent = createIdentity({ name: 'agent' });
const stranger = createIdentity({ name: 'stranger' });
const trust = createTrustStore([agent.id]);
const args = { to: 'ops@example.com', amount: 12 };
const signed = await signCall({
  signer: agent,
  callId: 'call-1',
  tool: 'pay',
  args,
  policyHash: 'sha256:p',
  nowMs: NOW_MS,
});
const envelope = signed.envelope as {
  payloadType: string;
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
};
const options = { trust, args, expectedTool: 'pay', expectedCallId: 'call-1', nowMs: NOW_MS + 1000 };
const codes = new Set<string>(ATTESTATION_ERROR_CODES);

function refusedCleanly(result: ReturnType<typeof verifyCallSync>): void {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(codes.has(result.code)).toBe(true);
    expect(typeof result.reason).toBe('string');
  }
}

describe('call envelopes', () => {
  it('the untouched envelope verifies (so every refusal below is the mutation)', () => {
    expect(verifyCallSync(envelope, options)).toMatchObject({ ok: true, claims: { callId: 'call-1', tool: 'pay' } });
  });

  it('is refused for another tool, call id, args, signer, or outside its window', async () => {
    refusedCleanly(verifyCallSync(envelope, { ...options, expectedTool: 'transfer' }));
    refusedCleanly(verifyCallSync(envelope, { ...options, expectedCallId: 'call-2' }));
    refusedCleanly(verifyCallSync(envelope, { ...options, args: { ...args, amount: 13 } }));
    refusedCleanly(verifyCallSync(envelope, { ...options, nowMs: NOW_MS + 24 * 3_600_000 }));
    const foreign = await signCall({
      signer: stranger,
      callId: 'call-1',
      tool: 'pay',
      args,
      policyHash: 'sha256:p',
      nowMs: NOW_MS,
    });
    refusedCleanly(verifyCallSync(foreign.envelope, options));
  });

  it('is accepted once only with a replay cache', async () => {
    const replayCache = createReplayCache();
    expect((await verifyCall(envelope, { ...options, replayCache })).ok).toBe(true);
    refusedCleanly(await verifyCall(envelope, { ...options, replayCache }));
  });

  it('fuzz: changing any one character of payload, signature, keyid or payload type is refused', () => {
    const fields = ['payload', 'sig', 'keyid', 'payloadType'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 1, max: 0xffff }), (field, at, delta) => {
        const copy = JSON.parse(JSON.stringify(envelope)) as typeof envelope;
        const target =
          field === 'sig' || field === 'keyid'
            ? (copy.signatures[0] as Record<string, string>)
            : (copy as unknown as Record<string, string>);
        const text = target[field] as string;
        const i = at % text.length;
        const changed = String.fromCharCode((text.charCodeAt(i) + delta) % 0x10000);
        fc.pre(changed !== text[i]);
        target[field] = text.slice(0, i) + changed + text.slice(i + 1);
        refusedCleanly(verifyCallSync(copy, options));
      }),
      fuzzParams(),
    );
  });

  it('fuzz: arbitrary JSON, junk objects and hostile shapes are refused with a code, never thrown', () => {
    const hostile = fc.oneof(
      fc.jsonValue(),
      fc.anything(),
      fc.record({
        payloadType: fc.string(),
        payload: fc.string(),
        signatures: fc.array(fc.record({ keyid: fc.string(), sig: fc.string() }), { maxLength: 20 }),
      }),
      fc.constant(JSON.parse('{"__proto__":{"ok":true},"payloadType":"x","payload":"","signatures":[]}')),
      fc.integer({ min: 1, max: 200 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n))),
    );
    fc.assert(
      fc.property(hostile, (input) => {
        refusedCleanly(verifyCallSync(input, options));
      }),
      fuzzParams(),
    );
  });

  it('fuzz: an envelope signed by a trusted key verifies only for exactly the args it binds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), async (a, b) => {
        if (holdsProto(a)) {
          // Args with a `__proto__` member are never signed (a tool merging them would be poisoned).
          const refused = signCall({
            signer: agent,
            callId: 'c',
            tool: 't',
            args: a,
            policyHash: 'sha256:p',
            nowMs: NOW_MS,
          });
          await expect(refused).rejects.toMatchObject({ code: 'ERR_ATTESTATION_ARGS_INVALID' });
          return;
        }
        const s = await signCall({
          signer: agent,
          callId: 'c',
          tool: 't',
          args: a,
          policyHash: 'sha256:p',
          nowMs: NOW_MS,
        });
        const check = { trust, expectedTool: 't', expectedCallId: 'c', nowMs: NOW_MS + 1000 };
        expect(verifyCallSync(s.envelope, { ...check, args: a }).ok).toBe(true);
        const same = !holdsProto(b) && digestArgs(a) === digestArgs(b);
        expect(verifyCallSync(s.envelope, { ...check, args: b }).ok).toBe(same);
      }),
      fuzzParams(50),
    );
  });
});

/** Whether a JSON value holds a member named `__proto__` at any depth. */
function holdsProto(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsProto);
  return Object.keys(value).some((k) => k === '__proto__' || holdsProto((value as Record<string, unknown>)[k]));
}
