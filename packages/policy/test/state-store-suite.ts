import { describe, expect, it } from 'vitest';
import type { DecisionRequest } from '../src/engine/decision.js';
import { createPolicyEngine } from '../src/engine/engine.js';
import type { Limit } from '../src/document/schema.js';
import type { StateStore } from '../src/state/state-store.js';

/**
 * The contract every {@link StateStore} must meet, run against the memory
 * store and against Redis alike. `fresh()` returns a store and a key prefix
 * no other test uses.
 */
export function stateStoreSuite(name: string, fresh: () => Promise<{ store: StateStore; prefix: string }>): void {
  describe(`${name}: StateStore contract`, () => {
    it('incrBy counts, including negative and fractional steps', async () => {
      const { store, prefix } = await fresh();
      expect(await store.incrBy(`${prefix}c`, 1, 60_000)).toBe(1);
      expect(await store.incrBy(`${prefix}c`, 2.5, 60_000)).toBe(3.5);
      expect(await store.incrBy(`${prefix}c`, -1, 60_000)).toBe(2.5);
      expect(await store.incrBy(`${prefix}other`, 7, 60_000)).toBe(7);
    });

    it('incrBy is atomic under concurrency', async () => {
      const { store, prefix } = await fresh();
      const results = await Promise.all(Array.from({ length: 200 }, () => store.incrBy(`${prefix}n`, 1, 60_000)));
      expect(new Set(results).size).toBe(200);
      expect(Math.max(...results)).toBe(200);
    });

    it('checkAndRemember succeeds exactly once, even when raced', async () => {
      const { store, prefix } = await fresh();
      const until = Date.now() + 60_000;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.checkAndRemember(`${prefix}nonce`, until)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.checkAndRemember(`${prefix}nonce`, until)).toBe(false);
      expect(await store.checkAndRemember(`${prefix}nonce2`, until)).toBe(true);
    });

    it('checkAndRemember keeps a key until expiresAtMs on the caller clock, and refuses bad times', async () => {
      const { store, prefix } = await fresh();
      // The caller's clock is far in the past: the key is kept for an hour from now, whatever the store's clock.
      expect(await store.checkAndRemember(`${prefix}far`, 3_600_000, 0)).toBe(true);
      expect(await store.checkAndRemember(`${prefix}far`, 3_600_000, 0)).toBe(false);
      // Already past its expiry on the caller's clock: still remembered (at least 1 ms), never an error.
      expect(await store.checkAndRemember(`${prefix}past`, 5, 10)).toBe(true);
      await expect(store.checkAndRemember(`${prefix}nan`, Number.NaN)).rejects.toThrow(TypeError);
      await expect(store.checkAndRemember('', Date.now() + 1000)).rejects.toThrow(TypeError);
    });

    it('sets collect members', async () => {
      const { store, prefix } = await fresh();
      expect(await store.members(`${prefix}s`)).toEqual([]);
      await store.addToSet(`${prefix}s`, ['b', 'a'], 60_000);
      await store.addToSet(`${prefix}s`, ['a', 'c'], 60_000);
      expect([...(await store.members(`${prefix}s`))].sort()).toEqual(['a', 'b', 'c']);
    });

    it('take refills a token bucket by the caller clock', async () => {
      const { store, prefix } = await fresh();
      const bucket = { capacity: 2, refillPerSecond: 1, cost: 1 };
      const t0 = 1_000_000;
      expect((await store.take(`${prefix}b`, { ...bucket, nowMs: t0 })).ok).toBe(true);
      expect((await store.take(`${prefix}b`, { ...bucket, nowMs: t0 })).ok).toBe(true);
      expect((await store.take(`${prefix}b`, { ...bucket, nowMs: t0 })).ok).toBe(false);
      expect((await store.take(`${prefix}b`, { ...bucket, nowMs: t0 + 500 })).ok).toBe(false);
      const later = await store.take(`${prefix}b`, { ...bucket, nowMs: t0 + 1000 });
      expect(later.ok).toBe(true);
      expect(later.remaining).toBeCloseTo(0, 6);
      // A negative cost gives a token back, never above capacity.
      expect((await store.take(`${prefix}b`, { ...bucket, cost: -5, nowMs: t0 + 1000 })).remaining).toBe(2);
      // Never above capacity however long it rested.
      expect((await store.take(`${prefix}b`, { ...bucket, cost: 3, nowMs: t0 + 1e9 })).ok).toBe(false);
    });

    it('take is atomic under concurrency', async () => {
      const { store, prefix } = await fresh();
      const bucket = { capacity: 10, refillPerSecond: 0.001, cost: 1, nowMs: 5_000 };
      const results = await Promise.all(Array.from({ length: 40 }, () => store.take(`${prefix}tb`, bucket)));
      expect(results.filter((r) => r.ok)).toHaveLength(10);
    });
  });

  describe(`${name}: limits through the engine`, () => {
    const agent = { id: 'did:key:z6MkAgent', name: 'bot' };
    const call = (tool: string, args: unknown = {}, nowMs = Date.parse('2026-11-27T10:00:00Z')): DecisionRequest => ({
      agent,
      tool: { name: tool },
      args,
      session: { id: 's1' },
      nowMs,
    });
    const engineWith = async (limits: Limit[]) => {
      const { store, prefix } = await fresh();
      return createPolicyEngine(
        { version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['*'], agents: ['bot'] }], limits },
        { stateStore: store, keyPrefix: prefix },
      );
    };

    it('a fixed-window rate limit denies the call over the limit, naming the limit', async () => {
      const engine = await engineWith([{ id: 'rate', tools: ['search'], rate: { calls: 3, windowMs: 60_000 } }]);
      const effects = [];
      for (let i = 0; i < 5; i++) effects.push((await engine.decide(call('search'))).effect);
      expect(effects).toEqual(['allow', 'allow', 'allow', 'deny', 'deny']);
      const d = await engine.decide(call('search'));
      expect(d).toMatchObject({ effect: 'deny', ruleId: 'rate' });
      expect(d.reason).toBe('limit "rate": more than 3 calls per 60000 ms for agent "bot"');
      expect((await engine.decide(call('other'))).effect).toBe('allow');
      // The next window starts afresh.
      expect((await engine.decide(call('search', {}, Date.parse('2026-11-27T10:01:00Z')))).effect).toBe('allow');
    });

    it('a token bucket allows bursts and refills', async () => {
      const engine = await engineWith([{ id: 'tb', tools: ['*'], tokenBucket: { capacity: 2, refillPerSecond: 1 } }]);
      const t = (ms: number) => Date.parse('2026-11-27T10:00:00Z') + ms;
      expect((await engine.decide(call('x', {}, t(0)))).effect).toBe('allow');
      expect((await engine.decide(call('x', {}, t(0)))).effect).toBe('allow');
      expect((await engine.decide(call('x', {}, t(10)))).effect).toBe('deny');
      expect((await engine.decide(call('x', {}, t(1010)))).effect).toBe('allow');
    });

    it('a call denied by a later limit gives its token back', async () => {
      const engine = await engineWith([
        { id: 'tb', tools: ['*'], tokenBucket: { capacity: 1, refillPerSecond: 0.0001 } },
        { id: 'spend', tools: ['*'], budget: { arg: '/amount', max: 10, windowMs: 60_000 } },
      ]);
      expect(await engine.decide(call('x', { amount: 50 }))).toMatchObject({ effect: 'deny', ruleId: 'spend' });
      expect((await engine.decide(call('x', { amount: 5 }))).effect).toBe('allow');
      expect(await engine.decide(call('x', { amount: 1 }))).toMatchObject({ effect: 'deny', ruleId: 'tb' });
    });

    it('a budget caps the sum of an argument, and a refused call does not count', async () => {
      const engine = await engineWith([
        { id: 'spend', tools: ['pay'], budget: { arg: '/amount', max: 100, windowMs: 86_400_000 } },
      ]);
      expect((await engine.decide(call('pay', { amount: 60 }))).effect).toBe('allow');
      const over = await engine.decide(call('pay', { amount: 50 }));
      expect(over).toMatchObject({ effect: 'deny', ruleId: 'spend' });
      expect(over.reason).toMatch(/budget of 100/);
      expect((await engine.decide(call('pay', { amount: 40 }))).effect).toBe('allow');
      expect((await engine.decide(call('pay', { amount: 0.5 }))).effect).toBe('deny');
      expect((await engine.decide(call('pay', { amount: '5' }))).effect).toBe('deny');
      expect((await engine.decide(call('pay', {}))).effect).toBe('deny');
      expect((await engine.decide(call('pay', { amount: -10 }))).effect).toBe('deny');
    });

    it('a concurrency cap holds under parallel calls, and release frees slots', async () => {
      const engine = await engineWith([{ id: 'cc', tools: ['slow'], concurrency: 3 }]);
      const decisions = await Promise.all(Array.from({ length: 10 }, () => engine.decide(call('slow'))));
      const allowed = decisions.filter((d) => d.effect === 'allow');
      expect(allowed).toHaveLength(3);
      expect(allowed.every((d) => d.leases?.length === 1)).toBe(true);
      await engine.release(allowed[0] as (typeof allowed)[0]);
      expect((await engine.decide(call('slow'))).effect).toBe('allow');
      expect((await engine.decide(call('slow'))).effect).toBe('deny');
    });

    it('counts per scope: per session and per tool', async () => {
      const engine = await engineWith([
        { id: 'per-session', tools: ['*'], per: ['session', 'tool'], rate: { calls: 1, windowMs: 60_000 } },
      ]);
      expect((await engine.decide(call('a'))).effect).toBe('allow');
      expect((await engine.decide(call('a'))).effect).toBe('deny');
      expect((await engine.decide(call('b'))).effect).toBe('allow');
      expect((await engine.decide({ ...call('a'), session: { id: 's2' } })).effect).toBe('allow');
    });

    it('a monitored limit reports would-deny and allows', async () => {
      const engine = await engineWith([
        { id: 'rate', tools: ['*'], rate: { calls: 1, windowMs: 60_000 }, mode: 'monitor' },
      ]);
      expect((await engine.decide(call('a'))).wouldDeny).toBeUndefined();
      expect(await engine.decide(call('a'))).toMatchObject({ effect: 'allow', wouldDeny: true, ruleId: 'rate' });
    });
  });
}
