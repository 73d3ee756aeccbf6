import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiringMap } from './bounded.js';

/** The behaviour ExpiringMap promises, written the slow and obvious way: an array in order of last set. */
class Model {
  entries: Array<{ key: number; value: number; expiresAt: number }> = [];
  constructor(readonly max: number) {}
  get(key: number, now: number): number | undefined {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const entry = this.entries[i] as { value: number; expiresAt: number };
    if (entry.expiresAt > now) return entry.value;
    this.entries.splice(i, 1);
    return undefined;
  }
  setsSinceScan = 0;
  set(key: number, value: number, expiresAt: number, now: number): void {
    while (this.entries.length > 0 && (this.entries[0] as { expiresAt: number }).expiresAt <= now) this.entries.shift();
    this.entries = this.entries.filter((e) => e.key !== key);
    this.entries.push({ key, value, expiresAt });
    this.setsSinceScan++;
    if (this.entries.length > this.max && this.setsSinceScan * 2 >= this.max) {
      this.setsSinceScan = 0;
      this.entries = this.entries.filter((e) => e.expiresAt > now);
    }
    while (this.entries.length > this.max) this.entries.shift();
  }
  delete(key: number): void {
    this.entries = this.entries.filter((e) => e.key !== key);
  }
}

type Op =
  | { op: 'set'; key: number; value: number; ttl: number }
  | { op: 'get'; key: number }
  | { op: 'delete'; key: number }
  | { op: 'tick'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: fc.nat(12),
    value: fc.integer(),
    ttl: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({ op: fc.constant('get' as const), key: fc.nat(12) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(12) }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.nat(30) }),
);

/** Runs `ops` on an ExpiringMap and on the model side by side: every read, size and the final contents agree. */
function followsModel(max: number, ops: readonly Op[]): void {
  const map = new ExpiringMap<number, number>(max);
  const model = new Model(max);
  let now = 0;
  for (const o of ops) {
    if (o.op === 'tick') now += o.ms;
    else if (o.op === 'set') {
      map.set(o.key, o.value, now + o.ttl, now);
      model.set(o.key, o.value, now + o.ttl, now);
    } else if (o.op === 'get') expect(map.get(o.key, now)).toBe(model.get(o.key, now));
    else {
      map.delete(o.key);
      model.delete(o.key);
    }
    expect(map.size).toBe(model.entries.length);
    expect(map.size).toBeLessThanOrEqual(max);
  }
  expect(new Map(map.entries())).toEqual(new Map(model.entries.map((e) => [e.key, e.value])));
}

describe('ExpiringMap', () => {
  it('behaves as the obvious model: newest last, oldest forgotten first, nothing expired returned', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 400 }), followsModel));
  });

  it('behaves as the model with more keys than fit, over long runs (the ring grows, wraps and is laid out again)', () => {
    const wide: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant('set' as const),
          key: fc.nat(60),
          value: fc.integer(),
          ttl: fc.integer({ min: 1, max: 200 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), key: fc.nat(60) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat(60) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.nat(40) }) },
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(wide, { maxLength: 2000 }), followsModel), {
      numRuns: 60,
    });
  });

  it('stays bounded when one key is set over and over, and when every key is new', () => {
    const map = new ExpiringMap<string, number>(100);
    for (let i = 0; i < 100_000; i++) map.set('same', i, Number.POSITIVE_INFINITY, 0);
    expect(map.size).toBe(1);
    expect(map.get('same', 0)).toBe(99_999);
    for (let i = 0; i < 100_000; i++) map.set(`k${i}`, i, Number.POSITIVE_INFINITY, 0);
    expect(map.size).toBe(100);
    expect(map.get('k99999', 0)).toBe(99_999);
    expect(map.get('k99899', 0)).toBeUndefined();
  });

  it('forgets expired entries before a live one that outlives them, however they are ordered', () => {
    // A long-lived mark first (a run with a long timeout), then many short ones that expire: a full map must not
    // forget the live mark while expired ones behind it still count.
    const map = new ExpiringMap<string, true>(1000);
    map.set('long', true, 1_000_000, 0);
    for (let i = 0; i < 999; i++) map.set(`short${i}`, true, 10, 0);
    for (let i = 0; i < 500; i++) map.set(`later${i}`, true, 1_000_000, 100 + i);
    expect(map.get('long', 10_000)).toBe(true);
    expect(map.size).toBeLessThanOrEqual(1000);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new ExpiringMap(bad)).toThrow(RangeError);
  });
});
