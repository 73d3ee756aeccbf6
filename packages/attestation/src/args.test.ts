import { canonicalize, sha256Hex, utf8 } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import { bindArgs, digestArgs, freezeArgs } from './args.js';

describe('digestArgs', () => {
  it("is 'sha256:' + hex SHA-256 of the JCS text", () => {
    const args = { b: [1, 'x', null], a: { z: true, y: 1e21 } };
    expect(digestArgs(args)).toBe(`sha256:${sha256Hex(utf8(canonicalize(args)))}`);
    // Known answer: SHA-256 of the two bytes "{}".
    expect(digestArgs({})).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('ignores key order and number spelling, not values', () => {
    expect(digestArgs({ a: 1, b: 2 })).toBe(digestArgs({ b: 2, a: 1 }));
    expect(digestArgs({ n: 1.0 })).toBe(digestArgs({ n: 1 }));
    expect(digestArgs({ n: 1 })).not.toBe(digestArgs({ n: '1' }));
  });
});

describe('freezeArgs: time of check = time of use', () => {
  it('returns a deep copy that cannot be mutated', () => {
    const frozen = freezeArgs({ path: '/tmp/a', opts: { recursive: false, list: [1, { deep: 'x' }] } });
    expect(() => {
      (frozen as { path: string }).path = '/etc/passwd';
    }).toThrow(TypeError);
    expect(() => {
      (frozen.opts as { recursive: boolean }).recursive = true;
    }).toThrow(TypeError);
    expect(() => (frozen.opts.list as unknown[]).push(2)).toThrow(TypeError);
    expect(() => {
      ((frozen.opts.list as unknown[])[1] as { deep: string }).deep = 'y';
    }).toThrow(TypeError);
    expect(() => {
      delete (frozen as { path?: string }).path;
    }).toThrow(TypeError);
    expect(() => Object.defineProperty(frozen, 'extra', { value: 1 })).toThrow(TypeError);
    expect(frozen).toEqual({ path: '/tmp/a', opts: { recursive: false, list: [1, { deep: 'x' }] } });
  });

  it('is not affected by later changes to the caller object', () => {
    const original = { path: '/tmp/a', nested: { n: 1 } };
    const { args, digest } = bindArgs(original);
    original.path = '/etc/passwd';
    original.nested.n = 2;
    expect(args).toEqual({ path: '/tmp/a', nested: { n: 1 } });
    expect(digestArgs(args)).toBe(digest);
    expect(digest).not.toBe(digestArgs(original));
    expect(Object.isFrozen(original)).toBe(false); // the caller's object is never touched
  });

  it('reads a getter once and keeps a plain value (no check-then-change getter)', () => {
    let reads = 0;
    const sneaky = {
      get path() {
        reads++;
        return reads === 1 ? '/tmp/a' : '/etc/passwd';
      },
    };
    const { args, digest } = bindArgs(sneaky);
    expect(args.path).toBe('/tmp/a');
    expect(args.path).toBe('/tmp/a');
    expect(reads).toBe(1);
    expect(digestArgs(args)).toBe(digest);
    expect(Object.getOwnPropertyDescriptor(args, 'path')).toMatchObject({ value: '/tmp/a', writable: false });
  });

  it('returns plain objects and arrays (no prototype tricks carried over)', () => {
    const args = freezeArgs({ list: [1], obj: Object.assign(Object.create(null), { a: 1 }) });
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(Array.isArray(args.list)).toBe(true);
    expect(Object.getPrototypeOf(args.obj)).toBe(Object.prototype);
  });

  it.each([
    ['undefined', undefined],
    ['a function', { f: () => 1 }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a BigInt', { n: 10n }],
    ['a Map', { m: new Map([[1, 2]]) }],
    ['a Date', { d: new Date(0) }],
    ['a typed array', { b: new Uint8Array(2) }],
    ['a class instance', { c: new (class Point {})() }],
    ['a sparse array', { a: new Array(3) }],
    ['a symbol', { s: Symbol('x') }],
    ['a lone surrogate', { s: '\uD800' }],
    ['an own __proto__ member', JSON.parse('{"__proto__":{"isAdmin":true}}')],
  ])('refuses %s with ERR_ATTESTATION_ARGS_INVALID', (_, value) => {
    expect(() => freezeArgs(value)).toThrow(
      expect.objectContaining({ name: 'AttestationError', code: 'ERR_ATTESTATION_ARGS_INVALID' }),
    );
  });

  it('refuses cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => freezeArgs(a)).toThrow(expect.objectContaining({ code: 'ERR_ATTESTATION_ARGS_INVALID' }));
    expect(() => digestArgs(a)).toThrow(expect.objectContaining({ code: 'ERR_ATTESTATION_ARGS_INVALID' }));
  });

  it('accepts every JSON scalar at the top level', () => {
    for (const v of [null, true, 0, -1.5, 'x', [], {}]) expect(freezeArgs(v)).toEqual(v);
  });
});

describe('bindArgs of its own frozen copy', () => {
  it('returns the same copy and digest, equal to a fresh canonicalisation', () => {
    const first = bindArgs({ b: [1, { c: 'x' }], a: 2 });
    const again = bindArgs(first.args);
    expect(again.args).toBe(first.args);
    expect(again.digest).toBe(first.digest);
    expect(digestArgs(first.args)).toBe(`sha256:${sha256Hex(utf8(canonicalize(first.args)))}`);
  });

  it('never reuses a digest for a value that is not its own copy (a caller object can change)', () => {
    const mine = { a: 1 };
    const before = digestArgs(mine);
    bindArgs(mine);
    mine.a = 2;
    expect(digestArgs(mine)).not.toBe(before);
    expect(bindArgs(mine).digest).toBe(digestArgs({ a: 2 }));
  });
});
