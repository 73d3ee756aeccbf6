/**
 * Invariant: a credential or delegation chain is accepted only when a configured authority signed exactly its
 * bytes (one algorithm, closed header and claims, canonical encoding, strict JSON) and it is valid now; a
 * chain's rights are never wider than any of its links; every other input gets a typed failure with a code,
 * never a throw and never an accept.
 */
import {
  createIdentity,
  createTrustAnchors,
  delegate,
  issueCredential,
  verifyChain,
  verifyCredential,
} from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const authority = createIdentity({ name: 'authority' });
const agent = createIdentity({ name: 'agent' });
const sub = createIdentity({ name: 'sub-agent' });
const anchors = createTrustAnchors([authority.id]);
const token = await issueCredential({
  issuer: authority,
  subject: agent.id,
  name: 'billing-agent',
  owner: 'finance',
  environment: 'prod',
  riskTier: 'high',
  tools: ['billing.*'],
  scopes: ['read'],
  nowMs: NOW,
});
const link = await delegate({
  delegator: agent,
  parent: token,
  delegatee: sub.id,
  tools: ['billing.read'],
  nowMs: NOW,
});

describe('credentials and delegation', () => {
  it('the untouched credential and chain verify (so every refusal below is the mutation)', async () => {
    expect(await verifyCredential(token, { anchors, nowMs: NOW })).toMatchObject({ ok: true });
    expect(await verifyChain([token, link], { anchors, nowMs: NOW })).toMatchObject({ ok: true });
  });

  it('fuzz: changing any one character of a credential is refused with a code', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ~'),
        async (at, c) => {
          const i = at % token.length;
          fc.pre(token[i] !== c);
          const changed = token.slice(0, i) + c + token.slice(i + 1);
          const result = await verifyCredential(changed, { anchors, nowMs: NOW });
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.code).toMatch(/^ERR_/);
        },
      ),
      fuzzParams(),
    );
  });

  it('fuzz: junk of any type is refused with a code, never thrown', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.string(),
          fc.array(fc.string(), { maxLength: 5 }).map((p) => p.join('.')),
        ),
        async (junk) => {
          const result = await verifyCredential(junk, { anchors, nowMs: NOW });
          expect(result.ok).toBe(false);
          const chain = await verifyChain([junk], { anchors, nowMs: NOW });
          expect(chain.ok).toBe(false);
        },
      ),
      fuzzParams(),
    );
  });

  it('a link cannot widen: a delegation to tools outside its parent is refused, whatever the glob', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('payments.*', '*', 'billing.*.x', 'billing.read', 'billing.*', 'admin'),
        async (tool) => {
          const attempt = await delegate({
            delegator: agent,
            parent: token,
            delegatee: sub.id,
            tools: [tool],
            nowMs: NOW,
          }).then(
            (t) => verifyChain([token, t], { anchors, nowMs: NOW }),
            () => ({ ok: false as const }),
          );
          const narrows = tool === 'billing.read' || tool === 'billing.*' || tool === 'billing.*.x';
          if (!narrows) expect(attempt.ok).toBe(false);
        },
      ),
      fuzzParams(30),
    );
  });

  it('an expired credential or one from an unknown authority is refused', async () => {
    expect((await verifyCredential(token, { anchors, nowMs: NOW + 400 * 86_400_000 })).ok).toBe(false);
    const other = createTrustAnchors([createIdentity().id]);
    expect((await verifyCredential(token, { anchors: other, nowMs: NOW })).ok).toBe(false);
  });
});
