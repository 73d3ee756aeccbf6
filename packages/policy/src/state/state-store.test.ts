import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../engine/engine.js';
import { createMemoryStateStore, type StateStore } from './state-store.js';
import { stateStoreSuite } from '../../test/state-store-suite.js';

let n = 0;
stateStoreSuite('memory', async () => ({ store: createMemoryStateStore(), prefix: `t${n++}:` }));

describe('memory store expiry', () => {
  it('forgets keys after their time to live', async () => {
    let now = 0;
    const store = createMemoryStateStore({ clock: () => now });
    await store.incrBy('c', 1, 100);
    await store.addToSet('s', ['a'], 100);
    expect(await store.checkAndRemember('f', 100)).toBe(true);
    expect(await store.checkAndRemember('f', 100)).toBe(false);
    now = 99;
    expect(await store.incrBy('c', 1, 100)).toBe(2);
    now = 100;
    expect(await store.incrBy('c', 1, 100)).toBe(1);
    expect(await store.members('s')).toEqual([]);
    expect(await store.checkAndRemember('f', 200)).toBe(true);
  });

  it.each<[string, (s: StateStore) => Promise<unknown>, ErrorConstructor]>([
    ['empty key', (s) => s.incrBy('', 1, 10), TypeError],
    ['zero ttl', (s) => s.incrBy('k', 1, 0), RangeError],
    ['NaN step', (s) => s.incrBy('k', Number.NaN, 10), RangeError],
    ['non-string key', (s) => s.members(5 as unknown as string), TypeError],
  ])('refuses %s', async (_name, op, error) => {
    await expect(op(createMemoryStateStore())).rejects.toThrow(error);
  });
});

describe('a failing store', () => {
  it('makes the decision a deny, never an allow or a throw', async () => {
    const broken: StateStore = {
      ...createMemoryStateStore(),
      incrBy: () => Promise.reject(new Error('connection refused')),
    };
    const engine = createPolicyEngine(
      {
        version: 1,
        rules: [{ id: 'a', effect: 'allow', tools: ['x'] }],
        limits: [{ id: 'r', tools: ['x'], rate: { calls: 5, windowMs: 1000 } }],
      },
      { stateStore: broken },
    );
    const d = await engine.decide({ agent: { id: 'a', name: 'a' }, tool: { name: 'x' }, args: {} });
    expect(d.effect).toBe('deny');
    expect(d.reason).toMatch(/ERR_POLICY_EVALUATION.*connection refused/);
  });
});

describe('memory store clock', () => {
  it('refuses a clock that is not a function', () => {
    expect(() => createMemoryStateStore({ clock: 0 as unknown as () => number })).toThrow(
      /"clock" expected a function/,
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, '0' as unknown as number])(
    'fails every operation with ERR_POLICY_STATE_STORE when the clock returns %s',
    async (bad) => {
      const store = createMemoryStateStore({ clock: () => bad });
      await expect(store.checkAndRemember('k', 1000)).rejects.toMatchObject({ code: 'ERR_POLICY_STATE_STORE' });
      await expect(store.incrBy('c', 1, 100)).rejects.toMatchObject({ code: 'ERR_POLICY_STATE_STORE' });
    },
  );
});
