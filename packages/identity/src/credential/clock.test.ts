/**
 * One clock vocabulary (docs/decisions/0008-options-vocabulary.md): one-shot calls take `nowMs` (epoch ms),
 * long-lived objects a `clock: () => number`; a fixed time decides expiry, and a clock that is not a function or
 * answers something other than a finite number is refused.
 */
import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { issueCredential, verifyCredential } from './credential.js';
import { createCredentialGate } from './gate.js';
import { DEFAULT_CLOCK_SKEW_MS } from './options.js';
import { delegate } from '../delegation/delegation.js';
import { verifyChain } from '../delegation/chain.js';
import { createIdentity } from '../key/identity.js';
import { createRevocationChecker, createRevocationList } from '../revocation/revocation.js';
import { createKeySet } from '../trust/rotation.js';

// A whole second, so that `exp` (NumericDate, seconds) is exactly NOW + TTL.
const NOW = Date.parse('2026-05-01T00:00:00Z');
const TTL = 3_600_000;
const SKEW = DEFAULT_CLOCK_SKEW_MS;
const authority = createIdentity();
const agent = createIdentity();
const helper = createIdentity();
const anchors = createTrustAnchors([authority.id]);
const issue = () =>
  issueCredential({
    issuer: authority,
    subject: agent.id,
    name: 'a',
    owner: 'o',
    environment: 'e',
    riskTier: 'low',
    tools: ['fs.*'],
    nowMs: NOW,
    ttlMs: TTL,
  });
const call = { agent: agent.id, tool: 'fs.read', args: {}, required: true };
const badClocks: Array<[string, () => number]> = [
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['a Date', () => new Date(NOW) as unknown as number],
  ['a string', () => String(NOW) as unknown as number],
  [
    'a throw',
    () => {
      throw new Error('no time');
    },
  ],
];
const notFunctions: unknown[] = [NOW, new Date(NOW), 'now', null];

describe('nowMs on one-shot calls', () => {
  it('verifyCredential: valid at issue, at the last instant of skew, expired one ms later', async () => {
    const token = await issue();
    expect((await verifyCredential(token, { anchors, nowMs: NOW })).ok).toBe(true);
    expect((await verifyCredential(token, { anchors, nowMs: NOW + TTL + SKEW - 1 })).ok).toBe(true);
    expect(await verifyCredential(token, { anchors, nowMs: NOW + TTL + SKEW })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_EXPIRED',
    });
    expect(await verifyCredential(token, { anchors, nowMs: NOW + TTL + SKEW + 1 })).toMatchObject({
      code: 'ERR_IDENTITY_EXPIRED',
    });
    expect(await verifyCredential(token, { anchors, nowMs: NOW - SKEW - 1 })).toMatchObject({
      code: 'ERR_IDENTITY_NOT_YET_VALID',
    });
  });

  it('delegate: a link issued at nowMs expires ttlMs later', async () => {
    const root = await issue();
    const link = await delegate({
      delegator: agent,
      parent: root,
      delegatee: helper.id,
      tools: ['fs.read'],
      nowMs: NOW,
      ttlMs: 60_000,
    });
    expect((await verifyChain([root, link], { anchors, nowMs: NOW + 60_000 + SKEW - 1 })).ok).toBe(true);
    expect(await verifyChain([root, link], { anchors, nowMs: NOW + 60_000 + SKEW + 1 })).toMatchObject({
      code: 'ERR_IDENTITY_EXPIRED',
      index: 1,
    });
  });

  it.each<[string, unknown]>([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a Date', new Date(NOW)],
    ['a function', () => NOW],
  ])('refuses nowMs = %s with a TypeError naming it', async (_name, nowMs) => {
    const token = await issue();
    await expect(verifyCredential(token, { anchors, nowMs: nowMs as number })).rejects.toThrow(/"nowMs"/);
    await expect(
      delegate({ delegator: agent, parent: token, delegatee: helper.id, tools: ['fs.read'], nowMs: nowMs as number }),
    ).rejects.toThrow(/"nowMs"/);
  });
});

describe('clock on long-lived objects', () => {
  it('createCredentialGate: the clock decides expiry', async () => {
    const chain = await issue();
    // The rights a chain grants end at its expiry itself (the skew widens the token check, not the grant).
    let t = NOW + TTL - 1;
    const gate = createCredentialGate({ anchors, clock: () => t });
    expect(await gate.check({ ...call, chain })).toMatchObject({ ok: true });
    t = NOW + TTL;
    expect(await gate.check({ ...call, chain })).toMatchObject({ ok: false });
    t = NOW + TTL + SKEW + 1;
    expect(await gate.check({ ...call, chain })).toMatchObject({ ok: false, code: 'ERR_IDENTITY_EXPIRED' });
  });

  it.each(badClocks)('createCredentialGate: a clock returning %s denies every presented credential', async (_n, c) => {
    const chain = await issue();
    const gate = createCredentialGate({ anchors, clock: c });
    expect(await gate.check({ ...call, chain })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_CREDENTIAL_DENIED',
      reason: expect.stringContaining('"clock"'),
    });
  });

  it('createRevocationChecker: a list is relied on until its expiry plus skew, by the clock', async () => {
    const list = await createRevocationList({ issuer: authority, seq: 1, nowMs: NOW, ttlMs: TTL });
    let t = NOW + TTL + SKEW - 1;
    const checker = createRevocationChecker({ anchors, source: list, clock: () => t });
    expect(await checker.check({ jti: 'x', keys: [] })).toEqual({ ok: true });
    t = NOW + TTL + SKEW + 1;
    expect(await checker.check({ jti: 'x', keys: [] })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
    });
  });

  it.each(badClocks)('createRevocationChecker: a clock returning %s makes checks unavailable', async (_n, c) => {
    const list = await createRevocationList({ issuer: authority, seq: 1, nowMs: NOW, ttlMs: TTL });
    const checker = createRevocationChecker({ anchors, source: list, clock: c });
    expect(await checker.check({ jti: 'x', keys: [] })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
    });
  });

  it('createKeySet: a key signs until its end date by the clock, never after', async () => {
    let t = NOW;
    const keys = createKeySet({ keys: [{ signer: authority, notAfter: NOW + 1000 }], clock: () => t });
    const signer = keys.current();
    await expect(signer.sign(new Uint8Array([1]))).resolves.toBeInstanceOf(Uint8Array);
    t = NOW + 1000;
    await expect(signer.sign(new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEY_RETIRED' });
    expect(() => keys.current()).toThrow(expect.objectContaining({ code: 'ERR_IDENTITY_KEY_RETIRED' }));
  });

  it.each(badClocks)('createKeySet: a clock returning %s signs nothing', async (_n, c) => {
    let clock = (): number => NOW;
    const keys = createKeySet({ keys: [{ signer: authority }], clock: () => clock() });
    const signer = keys.current();
    clock = c;
    await expect(signer.sign(new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEY_RETIRED' });
    expect(() => keys.current()).toThrow(expect.objectContaining({ code: 'ERR_IDENTITY_KEY_RETIRED' }));
  });

  it.each(notFunctions)('refuses clock = %s at creation', (clock) => {
    const c = clock as () => number;
    expect(() => createCredentialGate({ anchors, clock: c })).toThrow(/"clock" expected a function/);
    expect(() => createRevocationChecker({ anchors, source: '', clock: c })).toThrow(/"clock" expected a function/);
    expect(() => createKeySet({ keys: [{ signer: authority }], clock: c })).toThrow(/"clock" expected a function/);
  });
});
