import { createTrustStore, verifyCall } from '@agentguard/attestation';
import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity, type Signer } from '@agentguard/identity';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard, type GuardOptions } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = { version: 1, rules: [{ id: 'allow-add', effect: 'allow', tools: ['add'] }] };
const schema = z.object({ a: z.number(), b: z.number() });

function setup(identity: Signer, more: Partial<GuardOptions> = {}) {
  const sink = createMemorySink();
  const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }), ...more });
  const execute = vi.fn(({ a, b }: { a: number; b: number }) => a + b);
  const add = ag.guard({ name: 'add', schema, execute });
  const records = () => sink.lines.map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  return { add, execute, records };
}

/** A signer in another process, as the guard sees one: not an identity of this process (it may decide by policy). */
function elsewhere(identity: Signer): Signer {
  return { id: identity.id, keyId: identity.keyId, publicKey: identity.publicKey, sign: (m, c) => identity.sign(m, c) };
}

type LogLine = { type: string; agent: string; signer: string; sig?: string; data: Record<string, unknown> };

describe("the guard's own call envelopes", () => {
  it('are not made for an identity of this process: the request record, signed by the agent, stands for them', async () => {
    const identity = createIdentity({ name: 'agent' });
    const sink = createMemorySink();
    const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }) });
    const add = ag.guard({ name: 'add', schema, execute: ({ a, b }) => a + b });
    for (let i = 0; i < 3; i++) await expect(add({ a: i, b: 1 }, { callId: `c${i}` })).resolves.toBe(i + 1);
    const lines = sink.lines.map((l) => JSON.parse(l) as LogLine);
    const requests = lines.filter((r) => r.type === 'call.requested');
    expect(requests).toHaveLength(3);
    for (const r of requests) {
      expect(r.data.envelope).toBeUndefined();
      expect(r.data.signing).toBeUndefined();
      expect(r).toMatchObject({ agent: identity.id, signer: identity.id, sig: expect.any(String) });
    }
    expect(verifyLog(sink.text(), { trust: [identity.id] })).toMatchObject({ ok: true, records: 6 });
  });

  it('are made for a signer in another process, each verifiable by any party; the guard verifies only its first', async () => {
    const identity = createIdentity({ name: 'agent' });
    const { add, records } = setup(elsewhere(identity));
    for (let i = 0; i < 3; i++) await expect(add({ a: i, b: 1 }, { callId: `c${i}` })).resolves.toBe(i + 1);
    const envelopes = records()
      .filter((r) => r.type === 'call.requested')
      .map((r) => r.data.envelope);
    expect(envelopes).toHaveLength(3);
    for (const [i, envelope] of envelopes.entries()) {
      const check = await verifyCall(envelope, {
        trust: createTrustStore([identity.id]),
        args: { a: i, b: 1 },
        expectedCallId: `c${i}`,
      });
      expect(check.ok).toBe(true);
    }
  });

  it('a signer that signs with another key than the one it names is refused at its first call', async () => {
    const named = createIdentity({ name: 'named' });
    const other = createIdentity({ name: 'other' });
    const liar: Signer = {
      id: named.id,
      keyId: named.keyId,
      publicKey: named.publicKey,
      sign: (message, context) => other.sign(message, context),
    };
    const { add, execute, records } = setup(liar);
    await expect(add({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(records().at(-1)?.data.envelopeCode).toBe('ERR_ATTESTATION_SIGNATURE_INVALID');
  });

  for (const where of ['in this process', 'in another process'] as const) {
    it(`need the guard key trusted on every call (${where}): a trust store that stops trusting it refuses the next call`, async () => {
      const identity = createIdentity({ name: 'agent' });
      const trust = createTrustStore([identity.id]);
      const signer = where === 'in this process' ? identity : elsewhere(identity);
      const { add, execute, records } = setup(signer, { trust });
      await expect(add({ a: 1, b: 2 })).resolves.toBe(3);
      trust.delete(identity.id);
      await expect(add({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
      expect(execute).toHaveBeenCalledOnce();
      const last = records().at(-1);
      expect(last?.type).toBe('call.denied');
      expect(last?.data.envelopeCode).toBe('ERR_ATTESTATION_KEY_UNTRUSTED');
      // The envelope it signed is recorded; an identity of this process signed none.
      expect(last?.data.envelope !== undefined).toBe(where === 'in another process');
    });

    it(`need the trusted key to be the identity’s own (${where}; a store answering another key for its keyid)`, async () => {
      const identity = createIdentity({ name: 'agent' });
      const other = createIdentity({ name: 'other' });
      const trust = { ...createTrustStore([identity.id]), publicKeyFor: () => other.publicKey };
      const signer = where === 'in this process' ? identity : elsewhere(identity);
      const { add, execute, records } = setup(signer, { trust });
      await expect(add({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
      expect(execute).not.toHaveBeenCalled();
      expect(records().at(-1)?.data.envelopeCode).toBe('ERR_ATTESTATION_KEY_UNTRUSTED');
    });
  }
});
