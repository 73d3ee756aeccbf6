import { describe, expect, it } from 'vitest';
import { linesOf, splitJsonLines } from './lines.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (lines: readonly Uint8Array[]) => lines.map((l) => new TextDecoder().decode(l));

describe('splitJsonLines (export and verify split alike)', () => {
  it('splits on LF, with no line for an empty file', () => {
    expect(splitJsonLines(bytes(''), 10)).toEqual({ ok: true, lines: [] });
    const split = splitJsonLines(bytes('{"a":1}\n\n{}\n'), 10);
    expect(split.ok && text(split.lines)).toEqual(['{"a":1}', '', '{}']);
  });

  it('keeps a CR in its line, so the strict parsers refuse a CRLF file at its first line', () => {
    const split = splitJsonLines(bytes('{}\r\n{}\r\n'), 10);
    expect(split.ok && text(split.lines)).toEqual(['{}\r', '{}\r']);
  });

  it('refuses a partial last line by its number, never drops it', () => {
    expect(splitJsonLines(bytes('{}\n{"a"'), 10)).toEqual({
      ok: false,
      line: 2,
      reason: 'does not end with a newline',
    });
    expect(splitJsonLines(bytes('{'), 10)).toMatchObject({ ok: false, line: 1 });
  });

  it('refuses the first line longer than the bound, ended or not', () => {
    expect(splitJsonLines(bytes(`{}\n${'x'.repeat(11)}\n{}\n`), 10)).toEqual({
      ok: false,
      line: 2,
      reason: 'is longer than 10 bytes',
    });
    expect(splitJsonLines(bytes(`${'x'.repeat(10)}\n`), 10).ok).toBe(true);
    expect(splitJsonLines(bytes(`{}\n${'x'.repeat(11)}`), 10)).toMatchObject({ ok: false, line: 2 });
  });

  it('reports a file that cannot be split at its line', () => {
    const found: unknown[] = [];
    const malformed = (file: string, reason: string, at: { line: number }) => found.push({ file, reason, ...at });
    expect(linesOf(splitJsonLines(bytes('{}\n{'), 10), 'records.jsonl', malformed)).toBeUndefined();
    expect(found).toEqual([
      { file: 'records.jsonl', reason: 'records.jsonl line 2 does not end with a newline', line: 2 },
    ]);
    expect(linesOf(undefined, 'records.jsonl', malformed)).toBeUndefined();
  });
});
