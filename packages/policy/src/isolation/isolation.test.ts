import { describe, expect, it } from 'vitest';
import type { DecisionRequest } from '../engine/decision.js';
import { createPolicyEngine } from '../engine/engine.js';
import { isolationOf, markIsolation } from './brand.js';
import { ISOLATION_LEVELS, type IsolationLevel, isIsolationLevel, meetsIsolation } from './levels.js';

const req = (name: string): DecisionRequest => ({
  agent: { id: 'did:key:z6MkA', name: 'bot' },
  tool: { name },
  args: {},
});

describe('isolation levels', () => {
  it('orders none < process < bwrap for every pair', () => {
    for (const [i, actual] of ISOLATION_LEVELS.entries()) {
      for (const [j, required] of ISOLATION_LEVELS.entries()) {
        expect(meetsIsolation(actual, required)).toBe(i >= j);
      }
    }
  });
  it('refuses what is not a level', () => {
    for (const bad of ['', 'Process', 'docker', 'vm', null, 1, undefined, {}]) {
      expect(isIsolationLevel(bad)).toBe(false);
      expect(() => meetsIsolation(bad as IsolationLevel, 'none')).toThrow(TypeError);
      expect(() => meetsIsolation('bwrap', bad as IsolationLevel)).toThrow(TypeError);
    }
  });
});

describe('isolation obligations in a policy', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'p', effect: 'allow', tools: ['fetch*'], obligations: { isolation: 'process' } },
      { id: 'b', effect: 'allow', tools: ['fetch_page'], obligations: { isolation: 'bwrap' } },
      { id: 'n', effect: 'allow', tools: ['fetch_page', 'fetch_feed'], obligations: { isolation: 'none' } },
      { id: 'a', effect: 'require_approval', tools: ['shell'], obligations: { isolation: 'bwrap' } },
      { id: 'd', effect: 'deny', tools: ['fetch_secret'], obligations: { isolation: 'bwrap' } },
    ],
  });
  it('merges to the strongest level asked for', async () => {
    expect((await engine.decide(req('fetch_page'))).obligations).toEqual({ isolation: 'bwrap' });
    expect((await engine.decide(req('fetch_feed'))).obligations).toEqual({ isolation: 'process' });
  });
  it('carries it on require_approval, never on a deny', async () => {
    expect((await engine.decide(req('shell'))).obligations).toEqual({ isolation: 'bwrap' });
    const denied = await engine.decide(req('fetch_secret'));
    expect(denied.effect).toBe('deny');
    expect(denied.obligations).toBeUndefined();
  });
  it('applies the policy default to every decision that does not deny', async () => {
    const withDefault = createPolicyEngine({
      version: 1,
      obligations: { isolation: 'process', timeoutMs: 9000 },
      rules: [
        { id: 'r', effect: 'allow', tools: ['read'] },
        { id: 'w', effect: 'allow', tools: ['write'], obligations: { isolation: 'bwrap', timeoutMs: 100 } },
      ],
    });
    expect((await withDefault.decide(req('read'))).obligations).toEqual({ isolation: 'process', timeoutMs: 9000 });
    expect((await withDefault.decide(req('write'))).obligations).toEqual({ isolation: 'bwrap', timeoutMs: 100 });
    expect((await withDefault.decide(req('other'))).obligations).toBeUndefined();
  });
  it('is refused at load when the level is unknown (rule or default)', () => {
    for (const bad of ['container', 'PROCESS', '', 2, null, ['bwrap']]) {
      expect(() =>
        createPolicyEngine({
          version: 1,
          rules: [{ id: 'x', effect: 'allow', tools: ['t'], obligations: { isolation: bad } }],
        }),
      ).toThrow(expect.objectContaining({ code: 'ERR_POLICY_INVALID', message: expect.stringMatching(/isolation/) }));
      expect(() =>
        createPolicyEngine({
          version: 1,
          obligations: { isolation: bad },
          rules: [{ id: 'x', effect: 'allow', tools: ['t'] }],
        }),
      ).toThrow(expect.objectContaining({ code: 'ERR_POLICY_INVALID', message: expect.stringMatching(/isolation/) }));
    }
  });
  it('refuses redact as a policy default (it belongs on a rule)', () => {
    expect(() =>
      createPolicyEngine({
        version: 1,
        obligations: { redact: ['/x'] },
        rules: [{ id: 'x', effect: 'allow', tools: ['t'] }],
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_POLICY_INVALID' }));
  });
});

describe('the isolation mark', () => {
  it('reads the level a runner was marked with', () => {
    expect(isolationOf(markIsolation(async () => 1, 'process'))).toBe('process');
    expect(isolationOf(markIsolation(async () => 1, 'bwrap'))).toBe('bwrap');
  });
  it('reads none from anything unmarked, copied, wrapped, bound or forged by accident', () => {
    const run = markIsolation(async (x: number) => x, 'bwrap');
    const plain = async () => 1;
    expect(isolationOf(plain)).toBe('none');
    expect(isolationOf((x: number) => run(x))).toBe('none');
    expect(isolationOf(run.bind(null))).toBe('none');
    expect(isolationOf({ ...run })).toBe('none');
    expect(isolationOf(Object.create(run))).toBe('none');
    expect(isolationOf(undefined)).toBe('none');
    // A mark set by plain assignment on an unfrozen function, a getter, or a bad level does not count.
    const assigned = async () => 1;
    (assigned as unknown as Record<symbol, unknown>)[Symbol.for('@agentguard/isolation')] = Object.freeze({
      level: 'bwrap',
    });
    expect(isolationOf(assigned)).toBe('none');
    const badLevel = async () => 1;
    Object.defineProperty(badLevel, Symbol.for('@agentguard/isolation'), { value: Object.freeze({ level: 'vm' }) });
    expect(isolationOf(Object.freeze(badLevel))).toBe('none');
    const getter = async () => 1;
    Object.defineProperty(getter, Symbol.for('@agentguard/isolation'), {
      get: () => Object.freeze({ level: 'bwrap' }),
    });
    expect(isolationOf(Object.freeze(getter))).toBe('none');
  });
  it('refuses to mark twice, a frozen function, a non-function or a bad level', () => {
    const run = markIsolation(async () => 1, 'process');
    expect(() => markIsolation(run, 'bwrap')).toThrow(TypeError);
    expect(() =>
      markIsolation(
        Object.freeze(async () => 1),
        'bwrap',
      ),
    ).toThrow(TypeError);
    expect(() => markIsolation(1 as never, 'bwrap')).toThrow(TypeError);
    expect(() => markIsolation(async () => 1, 'none' as never)).toThrow(TypeError);
    expect(isolationOf(run)).toBe('process');
  });
});
