import { digestArgs } from '@agentguard/attestation';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { prepareArgs, sameJson } from './args.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { createTextCleaner } from './text.js';

const text = createTextCleaner(undefined);

/** A schema whose output is whatever `out` makes of the input. */
function schemaOf(out: (input: unknown) => unknown): StandardSchemaV1 {
  return { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value: out(value) }) } };
}

describe('prepareArgs', () => {
  it('uses the received copy as the run value when the schema output is the same JSON', async () => {
    const prepared = await prepareArgs(
      z.object({ a: z.number(), b: z.array(z.string()) }),
      { a: 1, b: ['x'] },
      text,
      1_000,
    );
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.value).toBe(prepared.received);
    expect(prepared.argsDigest).toBe(prepared.inputDigest);
    expect(prepared.argsDigest).toBe(digestArgs({ a: 1, b: ['x'] }));
    expect(Object.isFrozen(prepared.value)).toBe(true);
  });

  it('digests, copies and freezes a transformed output on its own', async () => {
    const schema = z.object({ q: z.string().trim(), n: z.number().default(5) });
    const prepared = await prepareArgs(schema, { q: '  hi ' }, text, 1_000);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.value).toEqual({ q: 'hi', n: 5 });
    expect(prepared.argsDigest).toBe(digestArgs({ q: 'hi', n: 5 }));
    expect(prepared.inputDigest).toBe(digestArgs({ q: '  hi ' }));
    expect(Object.isFrozen(prepared.value)).toBe(true);
  });

  it('still refuses an output that is not plain JSON, even when it reads like the input', async () => {
    const date = new Date(0);
    const refused = await prepareArgs(
      schemaOf(() => ({ at: date })),
      { at: date.toJSON() },
      text,
      1_000,
    );
    expect(refused).toMatchObject({ ok: false, code: 'ERR_GUARD_SCHEMA_OUTPUT_INVALID' });
  });

  it('never runs on a getter: the run value is the frozen copy, read once', async () => {
    let reads = 0;
    const output = {
      get path() {
        reads++;
        return reads === 1 ? '/tmp/safe' : '/etc/shadow';
      },
    };
    const prepared = await prepareArgs(
      schemaOf(() => output),
      { path: '/tmp/safe' },
      text,
      1_000,
    );
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.value).toEqual({ path: '/tmp/safe' });
    expect(prepared.value).not.toBe(output);
    expect((prepared.value as { path: string }).path).toBe('/tmp/safe');
  });
});

describe('sameJson', () => {
  const copy = Object.freeze({ a: 1, b: Object.freeze(['x', null, true]) });
  it.each([
    ['equal plain JSON', { b: ['x', null, true], a: 1 }, true],
    ['the copy itself', copy, true],
    ['another number', { a: 2, b: ['x', null, true] }, false],
    ['a string for a number', { a: '1', b: ['x', null, true] }, false],
    ['an extra key', { a: 1, b: ['x', null, true], c: 1 }, false],
    ['a missing key', { a: 1 }, false],
    ['an undefined member', { a: 1, b: ['x', null, true], c: undefined }, false],
    ['a longer array', { a: 1, b: ['x', null, true, 1] }, false],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    ['a hole', { a: 1, b: ['x', null, , true].slice(0, 3) }, false],
    ['a class instance', Object.assign(Object.create({ x: 1 }), { a: 1, b: ['x', null, true] }), false],
    ['a symbol key', { a: 1, b: ['x', null, true], [Symbol('s')]: 1 }, false],
    ['a Map', new Map([['a', 1]]), false],
    ['a function member', { a: () => 1, b: ['x', null, true] }, false],
  ])('%s: %s', (_name, output, expected) => {
    expect(sameJson(output, copy, 0)).toBe(expected);
  });
});
