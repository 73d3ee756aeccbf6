import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extend } from './extend.js';

const key = fc.oneof(fc.constantFrom('__proto__', 'code', 'reason', 'constructor', 'toString'), fc.string());
const record = fc.dictionary(key, fc.jsonValue(), { maxKeys: 6 });

describe('extend', () => {
  it('equals the spread { ...base, ...fields } for any members, __proto__ included', () => {
    fc.assert(
      fc.property(record, record, (base, fields) => {
        const spread = { ...base, ...fields };
        const made = extend(base, fields);
        expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
        expect(Reflect.ownKeys(made)).toEqual(Reflect.ownKeys(spread));
        for (const name of Reflect.ownKeys(spread)) {
          expect(Object.getOwnPropertyDescriptor(made, name)).toEqual(Object.getOwnPropertyDescriptor(spread, name));
        }
      }),
    );
  });

  it('keeps an own __proto__ member a member, never the copy’s prototype', () => {
    const base = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const made = extend(base, { b: 2 }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(Object.hasOwn(made, '__proto__')).toBe(true);
    expect(made.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lets fields win and leaves both inputs as they were', () => {
    const base = Object.freeze({ code: 'A', reason: 'r', extra: 1 });
    const fields = Object.freeze({ code: 'B' });
    expect(extend(base, fields)).toEqual({ code: 'B', reason: 'r', extra: 1 });
    expect(base).toEqual({ code: 'A', reason: 'r', extra: 1 });
  });
});
