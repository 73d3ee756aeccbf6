import { describe, expect, it } from 'vitest';
import { normalizeAdapterOptions } from './options.js';
import { denialText, resultText, settle, unknownToolDenial } from './outcome.js';
import { checkGuardedTool, indexTools, parseArguments } from './tools.js';

describe('normalizeAdapterOptions', () => {
  it("defaults to onDenied: 'result' and returns a frozen copy", () => {
    const options = normalizeAdapterOptions(undefined);
    expect(options).toEqual({ onDenied: 'result' });
    expect(Object.isFrozen(options)).toBe(true);
    const given = { onDenied: 'throw' as const };
    expect(normalizeAdapterOptions(given)).not.toBe(given);
  });

  it.each([
    ['null', null],
    ['a string', 'throw'],
    ['a number', 1],
    ['an unknown onDenied', { onDenied: 'ignore' }],
    ['a non-string onDenied', { onDenied: true }],
  ])('refuses %s with a TypeError', (_label, bad) => {
    expect(() => normalizeAdapterOptions(bad as never)).toThrow(TypeError);
  });
});

describe('settle', () => {
  const denial = unknownToolDenial('nope', 'c1');
  it('returns a value, returns a denial, or throws a GuardError carrying it', () => {
    expect(settle({ ok: true, callId: 'c1', value: 3 }, { onDenied: 'result' })).toEqual({ ok: true, value: 3 });
    expect(settle({ ok: false, callId: 'c1', denial }, { onDenied: 'result' })).toEqual({ ok: false, denial });
    expect(() => settle({ ok: false, callId: 'c1', denial }, { onDenied: 'throw' })).toThrow(
      expect.objectContaining({ name: 'GuardError', code: 'ERR_GUARD_POLICY_DENIED', denial }),
    );
  });

  it('denies unknown tools as a Denial with a bounded name', () => {
    const long = unknownToolDenial('x'.repeat(500), 'c2');
    expect(long.tool).toHaveLength(128);
    expect(JSON.parse(denialText(long))).toMatchObject({ agentguard: 'refused', outcome: 'denied', callId: 'c2' });
  });
});

describe('resultText / parseArguments', () => {
  it('passes strings through and serialises anything else as JSON', () => {
    expect(resultText('hi')).toBe('hi');
    expect(resultText(5)).toBe('5');
    expect(resultText({ a: [1] })).toBe('{"a":[1]}');
    expect(resultText(undefined)).toBe('');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(resultText(cyclic)).toBe('[object Object]');
  });

  it('parses JSON, treats empty text as no arguments, and hands on text that is not JSON for the guard to refuse', () => {
    expect(parseArguments('{"a":1}')).toEqual({ a: 1 });
    expect(parseArguments('  ')).toEqual({});
    expect(parseArguments('{bad')).toBe('{bad');
    expect(parseArguments({ a: 1 })).toEqual({ a: 1 });
  });
});

describe('indexTools / checkGuardedTool', () => {
  const fake = (name: string) =>
    Object.defineProperty(
      Object.assign(() => undefined, { safeRun: async () => undefined }),
      'name',
      { value: name },
    );
  it('refuses things that are not guarded tools, and duplicate names', () => {
    for (const bad of [null, {}, () => 1, { name: 'x', safeRun: () => 1 }])
      expect(() => checkGuardedTool(bad)).toThrow(TypeError);
    expect(() => indexTools([fake('a'), fake('a')] as never)).toThrow(/unique names/);
    expect([...indexTools([fake('a'), fake('b')] as never).keys()]).toEqual(['a', 'b']);
  });
});
