import { isDeepStrictEqual } from 'node:util';
import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../log/log.js';
import { createMemorySink } from '../log/sink.js';
import { readAny, readCanonical } from './checker.js';

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(3) });

/** Lines of a real log, one per data value given. */
async function linesOf(datas: readonly unknown[]): Promise<string[]> {
  const sink = createMemorySink();
  const log = createAuditLog({ sink });
  for (const [i, data] of datas.entries()) {
    await log.append(
      {
        type: 'call.completed',
        callId: `c${i}`,
        agent: agent.id,
        tool: 'search',
        data: data as Record<string, unknown>,
      },
      agent,
    );
  }
  await log.close();
  return [...sink.lines];
}

// Data a record may hold: nested JSON with awkward keys and strings (escapes, non-ASCII, digits as keys).
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ maxLength: 4, unit: 'grapheme' }),
  fc.constantFrom('0', '10', '2', 'é', '\u2028', 'a"b', '\\'),
);
/** Whether a value holds a `__proto__` member at any depth (which the writer refuses, rightly: see the edits). */
const hasProtoMember = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (Object.hasOwn(v, '__proto__') || Object.values(v).some(hasProtoMember));
const data = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }).filter((d) => !hasProtoMember(d));

// Edits that keep a line JSON but may make it non-canonical or refused: a space, an escape, a duplicate member,
// members swapped, a number written another way, a __proto__ member, a lone surrogate.
const edits: Array<(line: string, at: number) => string> = [
  (l, at) => `${l.slice(0, at)} ${l.slice(at)}`,
  (l) => l.replace('"data":{', '"data":{"x":1,"x":2,'),
  (l) => l.replace('"data":{', '"data":{"__proto__":{},'),
  (l) => l.replace('"data":{', '"data":{"s":"\\ud800",'),
  (l) => l.replace('"data":{', '"data":{"n":1.0,'),
  (l) => l.replace('"data":{', '"data":{"n":-0,'),
  (l) => l.replace('"data":{', '"data":{"e":"\\u0041",'),
  (l) => l.replace('"data":{', '"data":{"b":1,"a":2,'),
  (l) => l.replace('"data":{', '"data":{"!":{"b":1,"a":2},'),
  (l) => l.replace('"data":{', '"data":{"!":{"2":1,"10":2},'),
  (l) => l.replace('"data":{', '"data":{"!":{"10":1,"2":2},'),
  (l) => l.replace('"data":{', '"data":{"!":"\\\\ud800",'),
  (l) => l.replace('"data":{', '"data":{"!":[{"b":1,"a":2}],'),
  (l) => l.replace(/"seq":(\d+)/, '"seq":$1.0'),
  (l) => l.replace('"agent":', '"agent" :'),
  (l, at) => l.slice(0, at) + l.slice(at + 1),
  (l) => `\uFEFF${l}`,
];

describe('readCanonical', () => {
  it('reads every line the writer writes, as readAny reads it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(data, { minLength: 1, maxLength: 4 }), async (datas) => {
        for (const line of await linesOf(datas)) {
          const fast = readCanonical(line);
          expect(fast).toBeDefined();
          // Prototypes included: every object inside data has none, as the strict parser makes them.
          expect(isDeepStrictEqual(fast, readAny(line))).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reads an edited line only when readAny reads it, and then the same way (property)', async () => {
    await fc.assert(
      fc.asyncProperty(data, fc.integer({ min: 0, max: edits.length - 1 }), fc.nat(), async (d, which, where) => {
        const [line] = await linesOf([d]);
        const edited = (edits[which] as (l: string, at: number) => string)(
          line as string,
          where % (line as string).length,
        );
        const fast = readCanonical(edited);
        const strict = readAny(edited);
        if (fast !== undefined) expect(fast).toEqual(strict);
        // A line the strict reader refuses is never read fast.
        if ('problem' in strict) expect(fast).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it('reads integer-like keys in RFC 8785 order, and only in it', async () => {
    const [line] = (await linesOf([{ o: { '10': 1, '2': 2 }, p: 'a\\ud800' }])) as [string];
    expect(line).toContain('"o":{"10":1,"2":2}');
    expect(readCanonical(line)).toEqual(readAny(line));
    expect(readCanonical(line)).toBeDefined();
    // JSON.parse enumerates "2" before "10", so JSON.stringify would write this order back: refused all the same.
    const swapped = line.replace('"o":{"10":1,"2":2}', '"o":{"2":2,"10":1}');
    expect(readCanonical(swapped)).toBeUndefined();
    expect(readAny(swapped)).toMatchObject({ problem: { code: 'ERR_AUDIT_RECORD_MALFORMED' } });
  });

  it('reads nesting to the depth limit as the strict reader does, and no deeper', async () => {
    // The record is depth 1 and data depth 2: 70 more levels reach the limit of 72, 71 more pass it.
    for (const extra of [69, 70, 71]) {
      const [line] = (await linesOf([{ n: 0 }])) as [string];
      const deep = line.replace('"n":0', `"n":${'['.repeat(extra)}0${']'.repeat(extra)}`);
      const strict = readAny(deep);
      const fast = readCanonical(deep);
      if ('problem' in strict) expect(fast).toBeUndefined();
      else expect(isDeepStrictEqual(fast, strict)).toBe(true);
      expect('problem' in strict).toBe(extra > 70);
    }
  });

  it('leaves a line that may be over the size limit in UTF-8 bytes to the strict reader', async () => {
    const [line] = (await linesOf([{ s: 'x' }])) as [string];
    // 1.5 million units of three bytes each: under RECORD_MAX_BYTES in UTF-16 units, over it in UTF-8 bytes.
    const big = line.replace('"s":"x"', `"s":"${'\u4e00'.repeat(1_500_000)}"`);
    expect(readCanonical(big)).toBeUndefined();
    expect(readAny(big)).toMatchObject({ problem: { code: 'ERR_AUDIT_RECORD_MALFORMED' } });
  });

  it('gives the objects inside data no prototype, as the strict reader does', async () => {
    const [line] = (await linesOf([{ a: { b: { c: 1 } }, list: [{ d: 2 }] }])) as [string];
    const data = (readCanonical(line)?.record as { data?: unknown } | undefined)?.data as { a: object; list: object[] };
    expect(Object.getPrototypeOf(data.a)).toBeNull();
    expect(Object.getPrototypeOf((data.a as { b: object }).b)).toBeNull();
    expect(Object.getPrototypeOf(data.list[0])).toBeNull();
    expect((data.a as { constructor?: unknown }).constructor).toBeUndefined();
  });

  it('leaves a __proto__ member, a duplicate member and a lone surrogate to the strict reader', async () => {
    const [line] = (await linesOf([{ a: 1 }])) as [string];
    for (const bad of [
      line.replace('"data":{', '"data":{"__proto__":{},'),
      line.replace('"data":{"a":1', '"data":{"a":1,"a":1'),
      line.replace('"data":{', '"data":{"s":"\\ud800",'),
    ]) {
      expect(readCanonical(bad)).toBeUndefined();
      expect(readAny(bad)).toHaveProperty('problem');
    }
  });
});
