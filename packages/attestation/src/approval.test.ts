import { createIdentity } from '@agentguard/identity';
import { canonicalBytes, digestArgs, fromBase64, pae, toBase64 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApproval, verifyApproval } from './approval.js';
import type { ApprovalSubject, SignedApproval } from './approval-statement.js';

/** A nonce store in memory, as a policy StateStore keeps one (expiry is not exercised here). */
function createMemoryStateStore() {
  const seen = new Set<string>();
  return {
    async checkAndRemember(key: string, _expiresAtMs: number): Promise<boolean> {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  };
}

const alice = createIdentity({ name: 'alice', secretKey: new Uint8Array(32).fill(1) });
const mallory = createIdentity({ name: 'mallory', secretKey: new Uint8Array(32).fill(2) });
const now = new Date('2026-11-27T10:00:00Z');
const subject: ApprovalSubject = {
  callId: 'call-1',
  tool: 'refund',
  args: { orderId: 'o-42', amount: 120 },
  policyHash: `sha256:${'ab'.repeat(32)}`,
};
const verifyOpts = () => ({ trustedApprovers: [alice.id], nonceStore: createMemoryStateStore(), now });

function editStatement(approval: SignedApproval, edit: (s: Record<string, unknown>) => void): SignedApproval {
  const statement = JSON.parse(new TextDecoder().decode(fromBase64(approval.payload))) as Record<string, unknown>;
  edit(statement);
  return { ...approval, payload: toBase64(canonicalBytes(statement)) };
}

describe('approvals', () => {
  it('accepts a fresh approval once, naming the approver', async () => {
    const approval = await createApproval(subject, { approver: alice, now });
    const opts = verifyOpts();
    const first = await verifyApproval(approval, subject, opts);
    expect(first).toMatchObject({ ok: true, approver: alice.id });
    const again = await verifyApproval(approval, subject, opts);
    expect(again).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_APPROVAL_REPLAYED', approver: alice.id });
  });

  it('binds the canonical args, so key order does not matter', async () => {
    const approval = await createApproval(subject, { approver: alice, now });
    const reordered = { ...subject, args: { amount: 120, orderId: 'o-42' } };
    expect((await verifyApproval(approval, reordered, verifyOpts())).ok).toBe(true);
    expect(digestArgs({ b: 1, a: 2 })).toBe(digestArgs({ a: 2, b: 1 }));
  });

  const cases: [string, () => Promise<unknown>, ApprovalSubject, string][] = [
    [
      'other args',
      () => createApproval(subject, { approver: alice, now }),
      { ...subject, args: { orderId: 'o-42', amount: 12000 } },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'other call id',
      () => createApproval(subject, { approver: alice, now }),
      { ...subject, callId: 'call-2' },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'other tool',
      () => createApproval(subject, { approver: alice, now }),
      { ...subject, tool: 'delete_order' },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'other policy',
      () => createApproval(subject, { approver: alice, now }),
      { ...subject, policyHash: `sha256:${'cd'.repeat(32)}` },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'expired',
      () => createApproval(subject, { approver: alice, now: new Date(now.getTime() - 600_000) }),
      subject,
      'ERR_ATTESTATION_APPROVAL_EXPIRED',
    ],
    [
      'from the future',
      () => createApproval(subject, { approver: alice, now: new Date(now.getTime() + 600_000) }),
      subject,
      'ERR_ATTESTATION_APPROVAL_NOT_YET_VALID',
    ],
    [
      'an untrusted approver',
      () => createApproval(subject, { approver: mallory, now }),
      subject,
      'ERR_ATTESTATION_APPROVAL_UNTRUSTED',
    ],
    [
      'a rejection',
      () => createApproval(subject, { approver: alice, now, decision: 'reject', reason: 'too much' }),
      subject,
      'ERR_ATTESTATION_APPROVAL_REJECTED',
    ],
    [
      // The keyid is bound: mallory's signature names mallory's key, which is not trusted, whatever the statement says.
      'mallory signing as alice',
      async () =>
        editStatement(await createApproval(subject, { approver: mallory, now }), (s) => {
          s.approver = alice.id;
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_UNTRUSTED',
    ],
    [
      "mallory signing as alice under alice's keyid",
      async () => {
        const a = editStatement(await createApproval(subject, { approver: mallory, now }), (s) => {
          s.approver = alice.id;
        });
        const sig = await mallory.sign(pae(a.payloadType, fromBase64(a.payload)));
        return { ...a, signatures: [{ keyid: alice.keyId, sig: toBase64(sig) }] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'alice signing a statement that names another trusted approver',
      async () => {
        const a = editStatement(await createApproval(subject, { approver: alice, now }), (s) => {
          s.approver = mallory.id;
        });
        const sig = await alice.sign(pae(a.payloadType, fromBase64(a.payload)));
        return { ...a, signatures: [{ keyid: alice.keyId, sig: toBase64(sig) }] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'a raised amount in a signed statement',
      async () =>
        editStatement(await createApproval(subject, { approver: alice, now }), (s) => {
          s.argsDigest = digestArgs({ ...(subject.args as object), amount: 9999 });
        }),
      { ...subject, args: { orderId: 'o-42', amount: 9999 } },
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'an extended expiry',
      async () =>
        editStatement(
          await createApproval(subject, { approver: alice, now: new Date(now.getTime() - 600_000) }),
          (s) => {
            s.expiresAt = '2030-01-01T00:00:00.000Z';
          },
        ),
      subject,
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'a non-canonical payload',
      async () => {
        const a = await createApproval(subject, { approver: alice, now });
        const text = new TextDecoder().decode(fromBase64(a.payload));
        const spaced = new TextEncoder().encode(text.replace('{', '{ '));
        const sig = await alice.sign(pae(a.payloadType, spaced));
        return { ...a, payload: toBase64(spaced), signatures: [{ keyid: alice.keyId, sig: toBase64(sig) }] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'an unknown field in the envelope',
      async () => ({ ...(await createApproval(subject, { approver: alice, now })), extra: 1 }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'two signatures',
      async () => {
        const a = await createApproval(subject, { approver: alice, now });
        return { ...a, signatures: [...a.signatures, ...a.signatures] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'a truncated signature',
      async () => {
        const a = await createApproval(subject, { approver: alice, now });
        return { ...a, signatures: [{ keyid: alice.keyId, sig: (a.signatures[0]?.sig ?? '').slice(0, 40) }] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'a wrong payload type',
      async () => ({ ...(await createApproval(subject, { approver: alice, now })), payloadType: 'application/json' }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'non-base64 payload',
      async () => ({ ...(await createApproval(subject, { approver: alice, now })), payload: '%%%' }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    ['null', async () => null, subject, 'ERR_ATTESTATION_APPROVAL_MALFORMED'],
    ['a string', async () => 'approved!', subject, 'ERR_ATTESTATION_APPROVAL_MALFORMED'],
    [
      // Signed by alice after the edit, so only the strict parser stands between it and acceptance.
      'a __proto__ key',
      async () => {
        const a = editStatement(await createApproval(subject, { approver: alice, now }), (s) => {
          Object.defineProperty(s, '__proto__', { value: { x: 1 }, enumerable: true });
        });
        const sig = await alice.sign(pae(a.payloadType, fromBase64(a.payload)));
        return { ...a, signatures: [{ keyid: alice.keyId, sig: toBase64(sig) }] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
  ];

  it.each(cases)('refuses %s', async (_name, make, expected, code) => {
    const result = await verifyApproval(await make(), expected, verifyOpts());
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ code });
  });

  it('does not burn the nonce on a refused attempt', async () => {
    const approval = await createApproval(subject, { approver: alice, now });
    const opts = verifyOpts();
    expect((await verifyApproval(approval, { ...subject, callId: 'other' }, opts)).ok).toBe(false);
    expect((await verifyApproval(approval, subject, opts)).ok).toBe(true);
  });

  it('an approval for other args never applies (property)', async () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    await fc.assert(
      fc.asyncProperty(json, json, async (a, b) => {
        fc.pre(digestArgs(a) !== digestArgs(b));
        const approval = await createApproval({ ...subject, args: a }, { approver: alice, now });
        const result = await verifyApproval(approval, { ...subject, args: b }, verifyOpts());
        return !result.ok && result.code === 'ERR_ATTESTATION_APPROVAL_MISMATCH';
      }),
      { numRuns: 100 },
    );
  });

  it('handles a batch of parallel calls: approve some, reject others, each bound to its own call', async () => {
    const calls = Array.from({ length: 6 }, (_, i) => ({
      ...subject,
      callId: `batch-${i}`,
      args: { orderId: `o-${i}`, amount: i * 10 },
    }));
    const approvals = await Promise.all(
      calls.map((c, i) => createApproval(c, { approver: alice, now, decision: i % 2 === 0 ? 'approve' : 'reject' })),
    );
    const opts = verifyOpts();
    const results = await Promise.all(calls.map((c, i) => verifyApproval(approvals[i], c, opts)));
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'ok',
      'ERR_ATTESTATION_APPROVAL_REJECTED',
      'ok',
      'ERR_ATTESTATION_APPROVAL_REJECTED',
      'ok',
      'ERR_ATTESTATION_APPROVAL_REJECTED',
    ]);
    // Every call got an answer, and none can be reused for a sibling call.
    const swapped = await verifyApproval(approvals[0], calls[2] as ApprovalSubject, verifyOpts());
    expect(swapped).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_APPROVAL_MISMATCH' });
  });

  it('refuses misuse with TypeError/RangeError', async () => {
    await expect(createApproval(subject, { approver: {} as never, now })).rejects.toThrow(TypeError);
    await expect(createApproval(subject, { approver: alice, ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(
      verifyApproval({}, subject, { trustedApprovers: 'x' as never, nonceStore: createMemoryStateStore() }),
    ).rejects.toThrow(TypeError);
  });
});
