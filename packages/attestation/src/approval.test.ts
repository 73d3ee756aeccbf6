import { createIdentity } from '@agentguard/identity';
import { canonicalBytes, digestArgs, fromBase64, pae, toBase64, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApproval } from './approval.js';
import { APPROVAL_PREDICATE_TYPE, type ApprovalSubject, type SignedApproval } from './approval-statement.js';
import { verifyApproval } from './approval-verify.js';
import { createReplayCache } from './replay-cache.js';
import { signCall } from './sign.js';
import { createTrustStore } from './trust-store.js';

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
const nowMs = Date.parse('2026-11-27T10:00:00Z');
const subject: ApprovalSubject = {
  callId: 'call-1',
  tool: 'refund',
  args: { orderId: 'o-42', amount: 120 },
  policyHash: `sha256:${'ab'.repeat(32)}`,
};
const approvers = createTrustStore([alice.id]);
const verifyOpts = () => ({ approvers, nonceStore: createMemoryStateStore(), nowMs });

/** The statement's fields, loosely typed so a test can forge any of them. */
interface Editable {
  _type: unknown;
  subject: { name: unknown; digest: Record<string, unknown> }[];
  predicateType: unknown;
  predicate: Record<string, unknown>;
}

/** Edits the statement and re-encodes it, keeping the (now wrong) signature unless re-signed by the caller. */
function editStatement(approval: SignedApproval, edit: (s: Editable) => void): SignedApproval {
  const statement = JSON.parse(new TextDecoder().decode(fromBase64(approval.payload))) as Editable;
  edit(statement);
  return { ...approval, payload: toBase64(canonicalBytes(statement as never)) };
}

/** As {@link editStatement}, re-signed by `signer` under its own keyid: only the verifier's checks stand in the way. */
async function resigned(
  approval: SignedApproval,
  signer: typeof alice,
  edit: (s: Editable) => void,
): Promise<SignedApproval> {
  const a = editStatement(approval, edit);
  const sig = await signer.sign(pae(a.payloadType, fromBase64(a.payload)));
  return { ...a, signatures: [{ keyid: signer.keyId, sig: toBase64(sig) }] };
}

describe('approvals', () => {
  it('accepts a fresh approval once, naming the approver', async () => {
    const approval = await createApproval(subject, { approver: alice, nowMs });
    const opts = verifyOpts();
    const first = await verifyApproval(approval, subject, opts);
    expect(first).toMatchObject({ ok: true, approver: alice.id });
    const again = await verifyApproval(approval, subject, opts);
    expect(again).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_APPROVAL_REPLAYED', approver: alice.id });
  });

  it('binds the canonical args, so key order does not matter', async () => {
    const approval = await createApproval(subject, { approver: alice, nowMs });
    const reordered = { ...subject, args: { amount: 120, orderId: 'o-42' } };
    expect((await verifyApproval(approval, reordered, verifyOpts())).ok).toBe(true);
    expect(digestArgs({ b: 1, a: 2 })).toBe(digestArgs({ a: 2, b: 1 }));
  });

  const cases: [string, () => Promise<unknown>, ApprovalSubject, string][] = [
    [
      'other args',
      () => createApproval(subject, { approver: alice, nowMs }),
      { ...subject, args: { orderId: 'o-42', amount: 12000 } },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'other call id',
      () => createApproval(subject, { approver: alice, nowMs }),
      { ...subject, callId: 'call-2' },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'other tool',
      () => createApproval(subject, { approver: alice, nowMs }),
      { ...subject, tool: 'delete_order' },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'other policy',
      () => createApproval(subject, { approver: alice, nowMs }),
      { ...subject, policyHash: `sha256:${'cd'.repeat(32)}` },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'expired',
      () => createApproval(subject, { approver: alice, nowMs: nowMs - 600_000 }),
      subject,
      'ERR_ATTESTATION_APPROVAL_EXPIRED',
    ],
    [
      'from the future',
      () => createApproval(subject, { approver: alice, nowMs: nowMs + 600_000 }),
      subject,
      'ERR_ATTESTATION_APPROVAL_NOT_YET_VALID',
    ],
    [
      'an untrusted approver',
      () => createApproval(subject, { approver: mallory, nowMs }),
      subject,
      'ERR_ATTESTATION_APPROVAL_UNTRUSTED',
    ],
    [
      'a rejection',
      () => createApproval(subject, { approver: alice, nowMs, decision: 'reject', reason: 'too much' }),
      subject,
      'ERR_ATTESTATION_APPROVAL_REJECTED',
    ],
    [
      // The keyid is bound: mallory's signature names mallory's key, which is not trusted, whatever the statement says.
      'mallory signing as alice',
      async () =>
        editStatement(await createApproval(subject, { approver: mallory, nowMs }), (s) => {
          s.predicate.approver = alice.id;
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_UNTRUSTED',
    ],
    [
      "mallory signing as alice under alice's keyid",
      async () => {
        const a = editStatement(await createApproval(subject, { approver: mallory, nowMs }), (s) => {
          s.predicate.approver = alice.id;
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
        const a = editStatement(await createApproval(subject, { approver: alice, nowMs }), (s) => {
          s.predicate.approver = mallory.id;
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
        editStatement(await createApproval(subject, { approver: alice, nowMs }), (s) => {
          (s.subject[0] as Editable['subject'][0]).digest.sha256 = digestArgs({
            ...(subject.args as object),
            amount: 9999,
          }).slice('sha256:'.length);
        }),
      { ...subject, args: { orderId: 'o-42', amount: 9999 } },
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'an extended expiry',
      async () =>
        editStatement(await createApproval(subject, { approver: alice, nowMs: nowMs - 600_000 }), (s) => {
          s.predicate.expiresAt = '2030-01-01T00:00:00.000Z';
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'a non-canonical payload',
      async () => {
        const a = await createApproval(subject, { approver: alice, nowMs });
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
      async () => ({ ...(await createApproval(subject, { approver: alice, nowMs })), extra: 1 }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'two signatures',
      async () => {
        const a = await createApproval(subject, { approver: alice, nowMs });
        return { ...a, signatures: [...a.signatures, ...a.signatures] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'a truncated signature',
      async () => {
        const a = await createApproval(subject, { approver: alice, nowMs });
        return { ...a, signatures: [{ keyid: alice.keyId, sig: (a.signatures[0]?.sig ?? '').slice(0, 40) }] };
      },
      subject,
      'ERR_ATTESTATION_APPROVAL_FORGED',
    ],
    [
      'a wrong payload type',
      async () => ({ ...(await createApproval(subject, { approver: alice, nowMs })), payloadType: 'application/json' }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'non-base64 payload',
      async () => ({ ...(await createApproval(subject, { approver: alice, nowMs })), payload: '%%%' }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      // Signed by a trusted approver, but not an approval: the predicate type is what says what a statement means.
      'another predicate type',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          s.predicateType = 'https://agentguard.dev/attestation/tool-call/v1';
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      "the approver's own call envelope for this very call",
      async () =>
        (
          await signCall({
            signer: alice,
            callId: subject.callId,
            tool: subject.tool,
            args: subject.args,
            policyHash: subject.policyHash,
            nowMs,
          })
        ).envelope,
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'a subject digest that is not the args digest',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          (s.subject[0] as Editable['subject'][0]).digest.sha256 = 'ab'.repeat(32);
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'a subject naming another tool',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          (s.subject[0] as Editable['subject'][0]).name = 'delete_order';
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'a second subject',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          s.subject.push({ name: 'delete_order', digest: { sha256: 'ab'.repeat(32) } });
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      // The same grammar as a call statement's: a call id of printable ASCII, a tool name without control characters.
      'a call id with a space, signed for a subject that has one',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          s.predicate.callId = 'call 1';
        }),
      { ...subject, callId: 'call 1' },
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'a tool name with a control character, signed for a subject that has one',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          (s.subject[0] as Editable['subject'][0]).name = 'refund\u0000';
        }),
      { ...subject, tool: 'refund\u0000' },
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'an unknown predicate field',
      async () =>
        resigned(await createApproval(subject, { approver: alice, nowMs }), alice, (s) => {
          s.predicate.scope = 'any-call';
        }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
    ],
    [
      'an approval bound to another agent',
      () => createApproval({ ...subject, agent: mallory.id }, { approver: alice, nowMs }),
      { ...subject, agent: alice.id },
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    [
      'an approval bound to an agent, checked without one',
      () => createApproval({ ...subject, agent: mallory.id }, { approver: alice, nowMs }),
      subject,
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
    ],
    ['null', async () => null, subject, 'ERR_ATTESTATION_APPROVAL_MALFORMED'],
    ['a string', async () => 'approved!', subject, 'ERR_ATTESTATION_APPROVAL_MALFORMED'],
    [
      // Signed by alice after the edit, so only the strict parser stands between it and acceptance.
      'a __proto__ key',
      async () => {
        const a = editStatement(await createApproval(subject, { approver: alice, nowMs }), (s) => {
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

  it('is an in-toto Statement v1: subject = tool and args digest, predicate = the approval', async () => {
    const approval = await createApproval(
      { ...subject, agent: mallory.id },
      { approver: alice, nowMs, nonce: 'A'.repeat(24) },
    );
    expect(approval.payloadType).toBe('application/vnd.in-toto+json');
    expect(approval.signatures).toEqual([{ keyid: alice.keyId, sig: expect.any(String) }]);
    expect(JSON.parse(new TextDecoder().decode(fromBase64(approval.payload)))).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'refund', digest: { sha256: digestArgs(subject.args).slice('sha256:'.length) } }],
      predicateType: APPROVAL_PREDICATE_TYPE,
      predicate: {
        callId: 'call-1',
        agent: mallory.id,
        approver: alice.id,
        decision: 'approve',
        policyHash: subject.policyHash,
        issuedAt: '2026-11-27T10:00:00.000Z',
        expiresAt: '2026-11-27T10:05:00.000Z',
        nonce: 'A'.repeat(24),
      },
    });
    const result = await verifyApproval(approval, { ...subject, agent: mallory.id }, verifyOpts());
    expect(result).toMatchObject({ ok: true, approver: alice.id, statement: { predicate: { agent: mallory.id } } });
  });

  it('refuses an approver it trusts when that approver is the caller (excludedApprovers)', async () => {
    const approval = await createApproval(subject, { approver: alice, nowMs });
    const result = await verifyApproval(approval, subject, { ...verifyOpts(), excludedApprovers: [alice.id] });
    expect(result).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_APPROVAL_SELF_SIGNED', approver: alice.id });
  });

  it('remembers the nonce in a replay cache until expiry plus skew, and refuses it again there', async () => {
    const approval = await createApproval(subject, { approver: alice, nowMs, ttlMs: 60_000 });
    const nonceStore = createReplayCache();
    expect((await verifyApproval(approval, subject, { approvers, nonceStore, nowMs })).ok).toBe(true);
    const again = await verifyApproval(approval, subject, { approvers, nonceStore, nowMs: nowMs + 89_999 });
    expect(again).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_APPROVAL_REPLAYED' });
    // Past expiresAt + skew it is refused as expired, so forgetting the nonce then opens no replay.
    const late = await verifyApproval(approval, subject, { approvers, nonceStore, nowMs: nowMs + 90_000 });
    expect(late).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_APPROVAL_EXPIRED' });
  });

  it('any changed byte of a signed approval makes it fail (property)', async () => {
    const approval = await createApproval(subject, { approver: alice, nowMs });
    const bytes = utf8(JSON.stringify(approval));
    expect((await verifyApproval(bytes, subject, verifyOpts())).ok).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const changed = bytes.slice();
        changed[at] = (changed[at] as number) ^ flip;
        return !(await verifyApproval(changed, subject, verifyOpts())).ok;
      }),
      { numRuns: 300 },
    );
  });

  it('does not burn the nonce on a refused attempt', async () => {
    const approval = await createApproval(subject, { approver: alice, nowMs });
    const opts = verifyOpts();
    expect((await verifyApproval(approval, { ...subject, callId: 'other' }, opts)).ok).toBe(false);
    expect((await verifyApproval(approval, subject, opts)).ok).toBe(true);
  });

  it('an approval for other args never applies (property)', async () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    await fc.assert(
      fc.asyncProperty(json, json, async (a, b) => {
        fc.pre(digestArgs(a) !== digestArgs(b));
        const approval = await createApproval({ ...subject, args: a }, { approver: alice, nowMs });
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
      calls.map((c, i) => createApproval(c, { approver: alice, nowMs, decision: i % 2 === 0 ? 'approve' : 'reject' })),
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
    await expect(createApproval(subject, { approver: {} as never, nowMs })).rejects.toThrow(TypeError);
    await expect(createApproval(subject, { approver: alice, ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(
      verifyApproval({}, subject, { approvers: [alice.id] as never, nonceStore: createMemoryStateStore() }),
    ).rejects.toThrow(TypeError);
    await expect(verifyApproval({}, subject, { approvers, nonceStore: undefined as never })).rejects.toThrow(TypeError);
    await expect(verifyApproval({}, subject, { ...verifyOpts(), nowMs: Number.NaN })).rejects.toThrow(TypeError);
    await expect(verifyApproval({}, subject, { ...verifyOpts(), clockSkewMs: 300_001 })).rejects.toThrow(RangeError);
    await expect(createApproval(subject, { approver: alice, nowMs: Number.NaN })).rejects.toThrow(TypeError);
    await expect(createApproval({ ...subject, agent: 'bob' }, { approver: alice })).rejects.toThrow(TypeError);
  });
});
