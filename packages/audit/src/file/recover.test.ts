import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { appendFile, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT, event, LOG_KEY, writeCheckpointedLog } from '../../test/helpers.js';
import { AuditError } from '../errors.js';
import { openAuditDirectory, openFileAuditLog } from '../file.js';
import { RECORD_MAX_BYTES } from '../record/record.js';
import { LogChecker } from '../verify/checker.js';
import { LINE_TOO_LARGE, LineSplitter, splitByteLines } from '../verify/lines.js';
import { verifyLog } from '../verify/verify.js';
import { listSegments, readSegments, segmentName } from './dir.js';
import { recoverLog } from './recover.js';

const root = mkdtempSync(join(tmpdir(), 'agentguard-recover-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const dir = join(root, `d-${n++}`);
  mkdirSync(dir);
  return dir;
};

/** A valid log whose records hold multi-byte text (2-, 3- and 4-byte characters) and checkpoints. */
let good: Uint8Array;
beforeAll(async () => {
  const texts = ['caf\u00e9', '\u{1F600}\u{1F600}', '\u4e2d\u6587\u6587', 'plain', 'repl \uFFFD'];
  const sink = await writeCheckpointedLog(11, 4, (i) => ({
    ...event(i),
    data: { i, text: texts[i % texts.length] as string },
  }));
  good = new TextEncoder().encode(sink.text());
});

/** 0 and the offset after every LF: where each line of `bytes` begins, and where the last ends. */
const lineEnds = (bytes: Uint8Array) => [0, ...Array.from(bytes).flatMap((b, i) => (b === 0x0a ? [i + 1] : []))];

/**
 * How opening read a log before it streamed (the whole log in memory, then every line): the oracle the
 * streaming reader must agree with, byte for byte, in its result, its error and what it does to the files.
 */
async function oldRecover(
  bytes: Uint8Array,
  lastFile: string,
  where: (line: number) => string,
  onTorn: 'recover' | 'refuse',
) {
  const { lines, torn } = splitByteLines(bytes);
  // Checkpoint signatures checked, as opening checks them (a forged checkpoint would cover what came before it).
  const checker = new LogChecker({ signatures: 'checkpoints' });
  for (const [i, line] of lines.entries()) {
    const { problem } = checker.checkBytes(line);
    if (problem !== undefined) {
      throw new AuditError(problem.code, `${where(i + 1)}: ${problem.reason}; refusing to append to a damaged log`);
    }
  }
  let tornTail: object | undefined;
  if (torn !== undefined && onTorn === 'refuse') {
    throw new AuditError(
      'ERR_AUDIT_RECORD_TRUNCATED',
      `${where(lines.length + 1)}: the last line has no newline (${torn.length} bytes after record ${lines.length}): ` +
        'a torn write, or a write still in progress; refusing to append, nothing was cut',
    );
  }
  if (torn !== undefined) {
    const size = (await stat(lastFile)).size;
    if (torn.length > size) {
      throw new AuditError('ERR_AUDIT_RECORD_TRUNCATED', `${where(lines.length + 1)}: a torn line spans two files`);
    }
    const savedTo = `${lastFile}.torn`;
    await appendFile(savedTo, Buffer.concat([torn, Buffer.from('\n')]), { mode: 0o600, flush: true });
    await truncate(lastFile, size - torn.length);
    const line = Number(
      where(lines.length + 1)
        .split(':')
        .at(-1),
    );
    tornTail = { line, bytes: torn.length, sha256: createHash('sha256').update(torn).digest('hex'), savedTo };
  }
  return { checker, torn: tornTail };
}

/** A directory holding `bytes` cut into numbered files at `cuts` (byte offsets, anywhere: mid-line, mid-character). */
function writeSegments(dir: string, bytes: Uint8Array, cuts: readonly number[]): void {
  const at = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < at.length; i++) {
    writeFileSync(join(dir, segmentName(i + 1)), bytes.subarray(at[i] as number, at[i + 1] as number));
  }
}

/** What a recovery came to: the resumed state or the error, and every file of the directory afterwards. */
async function outcome(dir: string, run: () => Promise<{ checker: LogChecker; torn: object | undefined }>) {
  let result: unknown;
  try {
    const { checker, torn } = await run();
    const state = checker.state();
    result = {
      records: state.records,
      head: state.head,
      root: toHex(state.tree.root(state.tree.size)),
      checkpoint: state.checkpoint,
      origin: state.origin,
      torn,
    };
  } catch (error) {
    if (!(error instanceof AuditError)) throw error;
    result = { code: error.code, message: error.message.replaceAll(dir, '<dir>') };
  }
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, toHex(readFileSync(join(dir, f)))]));
  return { result, files };
}

/** The same log through the old reader and the streaming one, in two copies of one directory. */
async function both(bytes: Uint8Array, cuts: readonly number[], chunkBytes: number, onTorn: 'recover' | 'refuse') {
  const a = freshDir();
  const b = freshDir();
  writeSegments(a, bytes, cuts);
  writeSegments(b, bytes, cuts);
  const before = await outcome(a, async () => {
    const segments = await listSegments(a);
    const content = await readSegments(a);
    const where = (line: number) => {
      const at = content.locate(line);
      return `${at.path}:${at.line}`;
    };
    return oldRecover(content.bytes, segments.at(-1) ?? join(a, segmentName(1)), where, onTorn);
  });
  const after = await outcome(b, async () => {
    const segments = await listSegments(b);
    return recoverLog(segments, segments.at(-1) ?? join(b, segmentName(1)), onTorn, chunkBytes);
  });
  return {
    before: JSON.parse(JSON.stringify(before).replaceAll(a, '<dir>')),
    after: JSON.parse(JSON.stringify(after).replaceAll(b, '<dir>')),
  };
}

describe('LineSplitter', () => {
  it('gives the lines splitByteLines gives, whatever the chunks (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => (x % 5 === 0 ? 0x0a : x))),
        fc.integer({ min: 1, max: 9 }),
        (bytes, size) => {
          const splitter = new LineSplitter(RECORD_MAX_BYTES);
          const lines: number[][] = [];
          for (let at = 0; at < bytes.length; at += size) {
            for (const line of splitter.push(bytes.subarray(at, at + size))) lines.push([...(line as Uint8Array)]);
          }
          const whole = splitByteLines(bytes);
          expect(lines).toEqual(whole.lines.map((l) => [...l]));
          expect(splitter.lines).toBe(whole.lines.length);
          expect([...splitter.rest()]).toEqual([...(whole.torn ?? [])]);
        },
      ),
    );
  });

  it('refuses a line longer than its bound as soon as it holds more, with or without its newline', () => {
    for (const tail of ['', '\n']) {
      const splitter = new LineSplitter(4);
      const out = [...splitter.push(new TextEncoder().encode(`ab\nabcd\nabcde${tail}xyz`))];
      expect(out.map((l) => (l === undefined ? undefined : new TextDecoder().decode(l)))).toEqual([
        'ab',
        'abcd',
        undefined,
      ]);
      expect(splitter).toMatchObject({ lines: 2, tooLarge: true });
      expect([...splitter.push(new Uint8Array([0x0a]))]).toEqual([]);
    }
  });
});

describe('recoverLog: streamed, as the whole-log reader it replaces', () => {
  it('gives the same state, error and files as reading the whole log, for any chunk size and damage (property)', async () => {
    const damage = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.constantFrom(0x0a, 0x20, 0xff, 0x7b) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        damage,
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.oneof(fc.integer({ min: 1, max: 7 }), fc.constantFrom(64, 1 << 20)),
        fc.constantFrom('recover' as const, 'refuse' as const),
        async (records, change, rawCuts, chunkBytes, onTorn) => {
          const ends = lineEnds(good);
          let bytes = good.slice(0, ends[records % ends.length]);
          if (change.kind === 'flip' && bytes.length > 0) {
            bytes[change.at % bytes.length] = (bytes[change.at % bytes.length] as number) ^ (1 << change.bit);
          } else if (change.kind === 'cut') {
            bytes = bytes.slice(0, change.at % (bytes.length + 1));
          } else if (change.kind === 'insert') {
            const at = change.at % (bytes.length + 1);
            bytes = new Uint8Array([...bytes.subarray(0, at), change.byte, ...bytes.subarray(at)]);
          }
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          const { before, after } = await both(bytes, cuts, chunkBytes, onTorn);
          expect(after).toEqual(before);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('sets a torn tail cut at every byte of the last record aside, as before', { timeout: 60_000 }, async () => {
    // Two records, the last holding 4-byte characters, cut at every byte.
    const ends = lineEnds(good);
    const lastStart = ends[1] as number;
    const whole = good.slice(0, lastStart);
    expect(new TextDecoder().decode(good.subarray(lastStart, ends[2]))).toContain('\u{1F600}');
    const resumed = await oldRecover(whole, '', String, 'recover');
    const dir = freshDir();
    const path = join(dir, 'log.jsonl');
    for (let cut = 1; cut < (ends[2] as number) - lastStart; cut++) {
      const bytes = good.slice(0, lastStart + cut);
      const torn = bytes.subarray(lastStart);
      writeFileSync(path, bytes);
      rmSync(`${path}.torn`, { force: true });
      await expect(recoverLog([path], path, 'refuse', 64 + (cut % 7))).rejects.toMatchObject({
        code: 'ERR_AUDIT_RECORD_TRUNCATED',
        message: `${path}:2: the last line has no newline (${cut} bytes after record 1): a torn write, or a write still in progress; refusing to append, nothing was cut`,
      });
      expect(readFileSync(path)).toEqual(Buffer.from(bytes));
      // Byte-sized reads at every 8th cut (each costs a read call a byte); larger odd sizes, boundaries all over, between.
      const chunkBytes = cut % 8 === 0 ? 1 + ((cut / 8) % 7) : 57 + (cut % 7);
      const { checker, torn: found } = await recoverLog([path], path, 'recover', chunkBytes);
      expect(found).toEqual({
        line: 2,
        bytes: cut,
        sha256: createHash('sha256').update(torn).digest('hex'),
        savedTo: `${path}.torn`,
      });
      expect(readFileSync(path)).toEqual(Buffer.from(whole));
      expect(readFileSync(`${path}.torn`)).toEqual(Buffer.concat([torn, Buffer.from('\n')]));
      expect(checker.state()).toEqual(resumed.checker.state());
    }
  });

  it('reads a directory of many files, resumes it and names a bad record by its file and line', async () => {
    const dir = join(root, `many-${n++}`);
    const options = { rotate: { maxBytes: 1 }, checkpoint: { signer: LOG_KEY, everyRecords: 7, everyMs: 0 } };
    const log = await openAuditDirectory(dir, options);
    for (let i = 0; i < 120; i++) await log.append(event(i), AGENT);
    await log.close();
    const segments = await listSegments(dir);
    expect(segments.length).toBeGreaterThan(100);
    const again = await openAuditDirectory(dir, options);
    expect(again.size).toBe(segments.reduce((k, s) => k + readFileSync(s, 'utf8').split('\n').length - 1, 0));
    await again.close();
    const target = segments[57] as string;
    const lines = readFileSync(target, 'utf8').split('\n');
    lines[0] = (lines[0] as string).replace('"search"', '"searcH"');
    writeFileSync(target, lines.join('\n'));
    await expect(openAuditDirectory(dir, options)).rejects.toMatchObject({
      code: 'ERR_AUDIT_HASH_MISMATCH',
      message: expect.stringMatching(new RegExp(`^${target}:1: record content does not match its hash`)),
    });
  });
});

describe('a line longer than any record', () => {
  const overLong = async (path: string, before: Uint8Array) => {
    writeFileSync(path, before);
    // A hole of 3 GiB with no newline (sparse: no disk written). Read whole, it would not fit a Buffer.
    truncateSync(path, 3 * 1024 ** 3);
    return statSync(path).size;
  };

  it('is refused on open at its line, without reading the file to its end or cutting it', async () => {
    const path = join(freshDir(), 'log.jsonl');
    const size = await overLong(path, good.subarray(0, good.indexOf(0x0a) + 1));
    const error = await openFileAuditLog(path).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_AUDIT_RECORD_MALFORMED',
      message: `${path}:2: ${LINE_TOO_LARGE}; refusing to append to a damaged log`,
    });
    expect(statSync(path).size).toBe(size);
    expect(existsSync(`${path}.torn`)).toBe(false);
    rmSync(path);
  });

  it('is refused in a directory at its file and line', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, segmentName(1)), good);
    const second = join(dir, segmentName(2));
    await overLong(second, new Uint8Array(0));
    await expect(openAuditDirectory(dir)).rejects.toMatchObject({
      code: 'ERR_AUDIT_RECORD_MALFORMED',
      message: expect.stringContaining(`${second}:1: ${LINE_TOO_LARGE}`),
    });
    rmSync(second);
  });

  it('is refused with its newline, and a record of exactly the bound is not', async () => {
    const path = join(freshDir(), 'log.jsonl');
    writeFileSync(path, good);
    appendFileSync(path, `${'x'.repeat(RECORD_MAX_BYTES + 1)}\n`);
    await expect(openFileAuditLog(path)).rejects.toMatchObject({
      code: 'ERR_AUDIT_RECORD_MALFORMED',
      message: expect.stringContaining(`:${lineEnds(good).length}: ${LINE_TOO_LARGE}`),
    });
    writeFileSync(path, good);
    appendFileSync(path, `${'x'.repeat(RECORD_MAX_BYTES)}\n`);
    await expect(openFileAuditLog(path)).rejects.toMatchObject({
      code: 'ERR_AUDIT_RECORD_MALFORMED',
      message: expect.stringContaining(`:${lineEnds(good).length}: not a JSON record: `),
    });
  });
});

describe('openFileAuditLog after the streaming read', () => {
  it('resumes where the whole-log reader would, and the log still verifies', async () => {
    const path = join(freshDir(), 'log.jsonl');
    writeFileSync(path, good);
    const reference = await oldRecover(good, path, (line) => `${path}:${line}`, 'recover');
    const log = await openFileAuditLog(path, { checkpoint: { signer: LOG_KEY, everyRecords: 0, everyMs: 0 } });
    expect(log.size).toBe(reference.checker.records);
    expect(toHex(log.root())).toBe(toHex(reference.checker.tree.root(reference.checker.records)));
    expect(log.latestCheckpoint).toBe(reference.checker.lastCheckpoint?.note);
    await log.append(event(99), AGENT);
    await log.close();
    expect(verifyLog(readFileSync(path), { trust: [AGENT.id, LOG_KEY.id] })).toMatchObject({ ok: true });
  });

  it('refuses a chunk size that is not a positive integer', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(recoverLog([], join(root, 'none'), 'recover', bad)).rejects.toThrow(RangeError);
    }
  });
});
