/**
 * Invariant: a guarded tool runs only on a well-formed decision whose effect is exactly `'allow'`. Whatever a
 * custom PolicyEngine (a public interface) or an audit log does (unknown effects, junk, throws, rejections,
 * getters that throw, no answer at all), a call ends with an outcome, never a crash, a hang or a run.
 */
import { type AuditLog, createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, type GuardOptions } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { PolicyEngine } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fuzzParams } from './fuzz.js';

const HASH = `sha256:${'0'.repeat(64)}`;
const VALID = { effect: 'allow', ruleId: 'r', reason: 'ok', matched: ['r'], policyHash: HASH, mode: 'enforce' };

function engineOf(methods: Partial<Record<'decide' | 'hold' | 'release', (...a: unknown[]) => unknown>>, extra = {}) {
  return {
    hash: HASH,
    mode: 'enforce',
    policy: { version: 1, rules: [] },
    decide: async () => VALID,
    hold: async (_request: unknown, decision: unknown) => decision,
    release: async () => {},
    ...methods,
    ...extra,
  } as unknown as PolicyEngine;
}

function setup(policy: GuardOptions['policy'], overrides: Partial<GuardOptions> = {}) {
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'agent' }),
    policy,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [] },
    ...overrides,
  });
  let runs = 0;
  const tool = ag.guard({
    name: 't',
    schema: z.object({ x: z.number() }),
    execute: () => {
      runs++;
      return 'ran';
    },
  });
  return { ag, tool, sink, runs: () => runs };
}

const throwingProxy = new Proxy(
  {},
  {
    get() {
      throw new Error('getter trap');
    },
  },
);

describe('fail closed on foreign engines', () => {
  it.each([
    ['"Deny"', { ...VALID, effect: 'Deny' }],
    ['"block"', { ...VALID, effect: 'block' }],
    ['"approval_required"', { ...VALID, effect: 'approval_required' }],
    ['"ALLOW"', { ...VALID, effect: 'ALLOW' }],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'allow'],
    ['an array', [VALID]],
    ['{} (no fields)', {}],
    ['{ effect: allow } only', { effect: 'allow' }],
    ['a non-string reason', { ...VALID, reason: 42 }],
    ['matched not a list', { ...VALID, matched: 'r' }],
    ['an unknown mode', { ...VALID, mode: 'lenient' }],
    ['an unknown obligation', { ...VALID, obligations: { sandbox: true } }],
    ['a negative timeout obligation', { ...VALID, obligations: { timeoutMs: -1 } }],
    ['a redact obligation its policy does not declare', { ...VALID, obligations: { redact: ['/x'] } }],
    ['a getter that throws', throwingProxy],
    [
      'an effect getter that throws',
      Object.defineProperty({ ...VALID }, 'effect', {
        get: () => {
          throw new Error('boom');
        },
      }),
    ],
  ])('decide() returning %s denies, the tool never runs, and safeRun returns an outcome', async (_name, answer) => {
    const { tool, runs } = setup(engineOf({ decide: async () => answer }));
    const outcome = await tool.safeRun({ x: 1 });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    expect(runs()).toBe(0);
    const checked = await tool.check({ x: 1 });
    expect(checked).toMatchObject({ effect: 'deny', code: 'ERR_GUARD_POLICY_DENIED' });
  });

  it('a decision is read once: an effect getter cannot say deny to the check and allow to the run', async () => {
    let reads = 0;
    const flipping = Object.defineProperty({ ...VALID }, 'effect', {
      get: () => (reads++ === 0 ? 'require_approval' : 'allow'),
      enumerable: true,
    });
    const { tool, runs } = setup(engineOf({ decide: async () => flipping }));
    const outcome = await tool.safeRun({ x: 1 });
    expect(outcome).toMatchObject({ ok: false });
    expect(runs()).toBe(0);
  });

  it('decide() throwing, rejecting or never answering denies with a reason', async () => {
    const sync = setup(
      engineOf({
        decide: () => {
          throw new Error('sync');
        },
      }),
    );
    expect(await sync.tool.safeRun({ x: 1 })).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    const rejecting = setup(engineOf({ decide: () => Promise.reject(throwingProxy) }));
    expect(await rejecting.tool.safeRun({ x: 1 })).toMatchObject({
      ok: false,
      denial: { code: 'ERR_GUARD_POLICY_DENIED' },
    });
    const hung = setup(engineOf({ decide: () => new Promise(() => {}) }), { decisionTimeoutMs: 20 });
    const outcome = await hung.tool.safeRun({ x: 1 });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    expect(!outcome.ok && outcome.denial.reason).toContain('no decision within 20 ms');
    expect(sync.runs() + rejecting.runs() + hung.runs()).toBe(0);
  });

  it('hold() returning junk on a resumed call denies', async () => {
    const asks = { ...VALID, effect: 'require_approval' };
    const { tool, runs } = setup(engineOf({ decide: async () => asks, hold: async () => ({ effect: 'allow!' }) }));
    await tool.safeRun({ x: 1 }, { callId: 'h-1' });
    // The parked decision is resumed through hold(); any approval would be checked after it.
    const outcome = await tool.safeRun({ x: 1 }, { callId: 'h-1', approval: {} });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    expect(runs()).toBe(0);
  });

  it('release() throwing, returning no promise or hanging never breaks the outcome', async () => {
    const leased = { ...VALID, leases: ['slot-1'] };
    for (const release of [
      () => {
        throw new Error('sync');
      },
      () => undefined,
      () => new Promise(() => {}),
    ]) {
      const { tool, runs } = setup(engineOf({ decide: async () => leased, release }), { decisionTimeoutMs: 20 });
      await expect(tool.safeRun({ x: 1 })).resolves.toMatchObject({ ok: true, value: 'ran' });
      expect(runs()).toBe(1);
    }
  });

  it('an engine whose hash or policy cannot be read denies', async () => {
    let reads = 0;
    // Passes createGuard's check (and a few reads), then throws.
    const badHash = Object.defineProperty(engineOf({}), 'hash', {
      get() {
        if (reads++ < 1) return HASH;
        throw new Error('hash getter');
      },
    });
    const a = setup(badHash);
    expect(await a.tool.safeRun({ x: 1 })).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    const b = setup(engineOf({}, { policy: { rules: 'nope' } }));
    expect(await b.tool.safeRun({ x: 1 })).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    expect(a.runs() + b.runs()).toBe(0);
  });

  it('a well-formed allow runs (control)', async () => {
    const { tool, runs } = setup(engineOf({}));
    await expect(tool.safeRun({ x: 1 })).resolves.toMatchObject({ ok: true, value: 'ran' });
    expect(runs()).toBe(1);
  });

  it('an audit log whose append throws, rejects or answers junk refuses the call with ERR_GUARD_AUDIT_FAILED', async () => {
    for (const append of [
      () => {
        throw new Error('sync');
      },
      () => Promise.reject(new Error('async')),
      () => Promise.reject(throwingProxy),
    ]) {
      const audit = { append, appendBatched: append, close: async () => {} } as unknown as AuditLog;
      const { tool, runs } = setup(engineOf({}), { audit });
      expect(await tool.safeRun({ x: 1 })).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_AUDIT_FAILED' } });
      expect(runs()).toBe(0);
    }
  });

  // Decisions near a valid allow, each field possibly corrupted, or anything at all.
  const junk = fc.oneof(
    fc.anything(),
    fc.constantFrom('allow', 'Allow', 'deny', 'require_approval', 'approve', '', ' allow'),
  );
  const field = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: junk });
  const decisionArb = fc.oneof(
    { weight: 1, arbitrary: fc.anything() },
    {
      weight: 6,
      arbitrary: fc.record(
        {
          effect: field(fc.constantFrom('allow', 'deny', 'require_approval')),
          ruleId: field(fc.option(fc.string(), { nil: null })),
          reason: field(fc.string()),
          matched: field(fc.array(fc.string(), { maxLength: 3 })),
          policyHash: field(fc.constant(HASH)),
          mode: field(fc.constantFrom('enforce', 'monitor', 'off')),
          wouldDeny: field(fc.boolean()),
          obligations: field(
            fc.record(
              { maxResultBytes: fc.nat(), timeoutMs: fc.integer({ min: 1, max: 60_000 }) },
              { requiredKeys: [] },
            ),
          ),
          leases: field(fc.array(fc.string(), { maxLength: 2 })),
        },
        { requiredKeys: [] },
      ),
    },
  );
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  function validAllow(d: unknown): boolean {
    if (typeof d !== 'object' || d === null || Array.isArray(d)) return false;
    const r = d as Record<string, unknown>;
    const o = r.obligations as Record<string, unknown> | undefined;
    return (
      r.effect === 'allow' &&
      typeof r.reason === 'string' &&
      (r.ruleId === null || typeof r.ruleId === 'string') &&
      isStrings(r.matched) &&
      typeof r.policyHash === 'string' &&
      ['enforce', 'monitor', 'off'].includes(r.mode as string) &&
      (r.wouldDeny === undefined || typeof r.wouldDeny === 'boolean') &&
      (r.leases === undefined || isStrings(r.leases)) &&
      (o === undefined ||
        (typeof o === 'object' &&
          o !== null &&
          !Array.isArray(o) &&
          Object.keys(o).every((k) => k === 'maxResultBytes' || k === 'timeoutMs') &&
          (o.maxResultBytes === undefined ||
            (Number.isSafeInteger(o.maxResultBytes) && (o.maxResultBytes as number) >= 0)) &&
          (o.timeoutMs === undefined || (Number.isSafeInteger(o.timeoutMs) && (o.timeoutMs as number) > 0))))
    );
  }

  it('fuzz: whatever decide() returns, the tool runs if and only if it is a valid allow', async () => {
    let answer: unknown;
    const { tool, runs } = setup(engineOf({ decide: async () => answer }));
    await fc.assert(
      fc.asyncProperty(decisionArb, async (decision) => {
        answer = decision;
        const before = runs();
        const outcome = await tool.safeRun({ x: 1 });
        const ran = runs() - before === 1;
        expect(ran).toBe(validAllow(decision));
        // A valid allow whose maxResultBytes is below the result's size (canonical JSON `"ran"`, 5 bytes) runs the
        // tool and then withholds what it returned.
        const limit = (decision as { obligations?: { maxResultBytes?: unknown } } | null)?.obligations?.maxResultBytes;
        const withheld = ran && typeof limit === 'number' && limit < JSON.stringify('ran').length;
        expect(outcome.ok).toBe(ran && !withheld);
        if (!outcome.ok) expect(typeof outcome.denial.reason).toBe('string');
      }),
      fuzzParams(),
    );
  });
});
