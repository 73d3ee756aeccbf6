import { fromBase64, fromUtf8 } from '@agentguard/statement';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALICE, MALLORY } from '../test/helpers.js';
import { createApproval } from './approval.js';
import type { ApprovalSubject, SignedApproval } from './approval-statement.js';
import { verifyApproval } from './approval-verify.js';
import { createReplayCache } from './replay-cache.js';
import { createTrustStore } from './trust-store.js';

interface ApprovalVector {
  readonly subject: ApprovalSubject & { readonly agent: string };
  readonly nowMs: number;
  readonly ttlMs: number;
  readonly nonce: string;
  readonly reason: string;
  readonly statement: unknown;
  readonly envelope: SignedApproval;
}

const VECTOR = JSON.parse(
  readFileSync(new URL('../test/vectors/approval-v1.json', import.meta.url), 'utf8'),
) as ApprovalVector;
const { subject, nowMs, envelope } = VECTOR;
const options = () => ({ approvers: createTrustStore([ALICE.id]), nonceStore: createReplayCache(), nowMs });

describe('approval known-answer vector (test/vectors/approval-v1.json)', () => {
  it('fixed key, time and nonce give exactly the checked-in envelope', async () => {
    const made = await createApproval(subject, {
      approver: ALICE,
      nowMs,
      ttlMs: VECTOR.ttlMs,
      nonce: VECTOR.nonce,
      reason: VECTOR.reason,
    });
    expect(made).toEqual(envelope);
    expect(JSON.parse(fromUtf8(fromBase64(envelope.payload)))).toEqual(VECTOR.statement);
    expect(subject.agent).toBe(MALLORY.id);
  });

  it('verifies at its time, once', async () => {
    const o = options();
    expect(await verifyApproval(envelope, subject, o)).toMatchObject({ ok: true, approver: ALICE.id });
    expect(await verifyApproval(envelope, subject, o)).toMatchObject({ code: 'ERR_ATTESTATION_APPROVAL_REPLAYED' });
  });

  it.each([
    ['an approver not in the trust store', { approvers: createTrustStore([MALLORY.id]) }, subject, 'UNTRUSTED'],
    ['an empty trust store', { approvers: createTrustStore() }, subject, 'UNTRUSTED'],
    ['after expiry plus skew', { nowMs: nowMs + 330_000 }, subject, 'EXPIRED'],
    ['before issue minus skew', { nowMs: nowMs - 30_001 }, subject, 'NOT_YET_VALID'],
    [
      'other args (subject digest)',
      {},
      { ...subject, args: { ...(subject.args as object), amount: 2500 } },
      'MISMATCH',
    ],
    ['another tool (subject name)', {}, { ...subject, tool: 'refund_all' }, 'MISMATCH'],
    ['another agent', {}, { ...subject, agent: ALICE.id }, 'MISMATCH'],
    ['another call id', {}, { ...subject, callId: 'call-2' }, 'MISMATCH'],
  ] as const)('refuses it with %s', async (_, change, expected, code) => {
    const result = await verifyApproval(envelope, expected, { ...options(), ...change });
    expect(result).toMatchObject({ ok: false, code: `ERR_ATTESTATION_APPROVAL_${code}` });
  });

  it('accepts it just inside the skew at both ends', async () => {
    expect((await verifyApproval(envelope, subject, { ...options(), nowMs: nowMs - 30_000 })).ok).toBe(true);
    expect((await verifyApproval(envelope, subject, { ...options(), nowMs: nowMs + 329_999 })).ok).toBe(true);
  });
});
