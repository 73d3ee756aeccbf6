import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentName } from '../file/dir.js';
import { createAuditLog } from '../log/log.js';
import { createMemorySink } from '../log/sink.js';
import { LogChecker } from './checker.js';
import { AGENT, callEnvelope, event, LOG_KEY, OTHER, requestedEvent } from '../../test/helpers.js';
import { verifyLog } from './verify.js';
import { verifyLogFile } from './file.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-verify-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fileWith = (text: string | Uint8Array) => {
  const path = join(dir, `log-${files++}.jsonl`);
  writeFileSync(path, text);
  return path;
};

/** 24 records: call.requested with envelopes and call.completed, a checkpoint every 5 and at close. */
async function sampleLog(): Promise<string[]> {
  const sink = createMemorySink();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  const log = createAuditLog({
    sink,
    clock: () => t++,
    checkpoint: { signer: LOG_KEY, origin: 'example.com/audit', everyRecords: 5, everyMs: 0 },
  });
  for (let i = 0; i < 10; i++) {
    await log.append(requestedEvent(i), AGENT);
    await log.append(event(i), AGENT);
  }
  await log.close();
  return [...sink.lines];
}

const lines = await sampleLog();

/** A one-record log whose call envelope has `count` signature entries by AGENT over a payload of `size` bytes, all bad. */
async function envelopeLog(count: number, size: number): Promise<string> {
  const sink = createMemorySink();
  const log = createAuditLog({ sink });
  const bad = { keyid: AGENT.keyId, sig: toBase64(new Uint8Array(64)) };
  const envelope = {
    payloadType: 'application/vnd.in-toto+json',
    payload: toBase64(new Uint8Array(size).fill(0x7b)),
    signatures: Array.from({ length: count }, () => bad),
  };
  await log.append({ ...event(0, AGENT, 'call.requested'), data: { envelope } }, AGENT);
  await log.close();
  return sink.text();
}
const text = (ls: readonly string[]) => `${ls.join('\n')}\n`;
const trust = [AGENT.id, LOG_KEY.id];
const field = (line: string, name: string) => (JSON.parse(line) as Record<string, string>)[name] as string;
const setField = (line: string, name: string, value: string) =>
  line.replace(`"${name}":"${field(line, name)}"`, `"${name}":"${value}"`);
/** A valid-looking signature of another record: right length, wrong message. */
const swapSig = (ls: string[], at: number, from: number) => {
  ls[at] = setField(ls[at] as string, 'sig', field(ls[from] as string, 'sig'));
  return ls;
};
const firstOf = (type: string, after = 0) => lines.findIndex((l, i) => i >= after && field(l, 'type') === type);

/** The log's bytes with `change` applied (to put in what no string can hold: bytes that are not UTF-8). */
const bytesWith = (log: string, change: (bytes: number[]) => void) => {
  const bytes = [...utf8(log)];
  change(bytes);
  return new Uint8Array(bytes);
};
const startOf = (ls: readonly string[], i: number) => utf8(text(ls.slice(0, i))).length;

/** A log whose call.requested record carries the envelope of a call of another tool (written as any log key holder could). */
async function splicedLog(): Promise<string> {
  const sink = createMemorySink();
  const log = createAuditLog({ sink });
  await log.append(requestedEvent(0), AGENT);
  await log.append({ ...requestedEvent(1), tool: 'transfer' }, LOG_KEY);
  return sink.text();
}

/** A batched record by the log key, then one naming AGENT, then a checkpoint by AGENT: the first is not AGENT's to vouch for. */
async function misattributedLog(): Promise<string> {
  const first = createMemorySink();
  const a = createAuditLog({ sink: first, checkpoint: { signer: LOG_KEY, everyRecords: 0, everyMs: 0 } });
  await a.appendBatched(event(0));
  // readLog refuses a log that ends uncovered; the tree is read as the checker reads it.
  const view = new LogChecker({ signatures: false });
  for (const line of first.lines) view.check(line);
  const second = createMemorySink();
  const b = createAuditLog({
    sink: second,
    resume: { records: 1, head: field(first.lines[0] as string, 'hash'), tree: view.tree, checkpoint: undefined },
    checkpoint: { signer: AGENT, everyRecords: 0, everyMs: 0 },
  });
  await b.appendBatched(event(1));
  await b.close();
  return `${first.text()}${second.text()}`;
}

const cases: [string, string | Uint8Array][] = [
  ['a byte changed into one that is never UTF-8', bytesWith(text(lines), (b) => (b[startOf(lines, 8) + 30] = 0xff))],
  [
    'a byte-order mark before a record',
    bytesWith(text(lines), (b) => b.splice(startOf(lines, 4), 0, 0xef, 0xbb, 0xbf)),
  ],
  [
    'a bad signature before a line that is not UTF-8',
    bytesWith(text(swapSig([...lines], 4, 5)), (b) => (b[startOf(lines, 9) + 3] = 0xc0)),
  ],
  ['an envelope spliced into a record of another tool', await splicedLog()],
  ['a batched record covered by a checkpoint of another key', await misattributedLog()],
  ['an intact log', text(lines)],
  ['an empty log', ''],
  ['a byte changed', text(lines.map((l, i) => (i === 6 ? l.replace('"tool":"search"', '"tool":"searcH"') : l)))],
  ['a record deleted', text(lines.filter((_, i) => i !== 9))],
  ['a record signature from another record', text(swapSig([...lines], 7, 8))],
  ['two bad signatures in different batches: the first is named', text(swapSig(swapSig([...lines], 17, 18), 3, 4))],
  ['a bad signature before a structural fault', text(swapSig([...lines], 4, 5).filter((_, i) => i !== 12))],
  ['a structural fault before a bad signature', text(swapSig([...lines], 15, 16).filter((_, i) => i !== 6))],
  [
    'an envelope signed by another agent',
    text(
      lines.map((l, i) => {
        if (i !== firstOf('call.requested', 10)) return l;
        const callId = field(l, 'callId');
        const good = JSON.stringify(callEnvelope(AGENT, { callId }).signatures[0]?.sig);
        return l.replace(good, JSON.stringify(callEnvelope(OTHER, { callId }).signatures[0]?.sig));
      }),
    ),
  ],
  [
    'a checkpoint note signature corrupted after its key id',
    text(
      lines.map((l, i) => {
        if (i !== firstOf('checkpoint')) return l;
        const sig = field(l, 'noteSig');
        const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
        return setField(l, 'noteSig', flipped);
      }),
    ),
  ],
  ['a torn last line', `${text(lines)}{"seq":`],
  ['a truncated last record', text(lines).slice(0, -20)],
  ['an empty line', `${text(lines.slice(0, 3))}\n${text(lines.slice(3))}`],
  ['a line of 5 MiB', `${text(lines.slice(0, 2))}"${'x'.repeat(5 * 1024 * 1024)}"\n${text(lines.slice(2))}`],
  ['a torn line of 5 MiB at the end', `${text(lines)}"${'x'.repeat(5 * 1024 * 1024)}`],
  ['an envelope with 17 signatures', await envelopeLog(17, 100)],
  ['an envelope with 16 bad signatures over a 1 MiB payload', await envelopeLog(16, 1024 * 1024)],
  ['an envelope with 16 bad signatures over a small payload', await envelopeLog(16, 100)],
];

describe('verifyLogFile', () => {
  describe.each([0, 2])('with %i workers, gives the report verifyLog gives', (workers) => {
    it.each(cases)('%s', async (label, log) => {
      const expected = verifyLog(log, { trust });
      const report = await verifyLogFile(fileWith(log), { trust, workers, batchSize: 2 });
      expect(report).toMatchObject(expected);
      // Logs with signatures enough to fill a batch of 2 send it to the workers.
      const few = label.startsWith('an envelope with') || label.startsWith('a batched record');
      const deferred = log.length > 0 && !few;
      if (deferred && workers > 0) expect(report.workers).toBe(workers);
      expect(report.ok).toBe(expected.ok);
      if (!report.ok) expect(report.fileLine).toBe(report.line);
    });
  });

  it('names the first bad signature of a line even when its checks span batches', async () => {
    // Record signature and envelope signature of one line both bad, each in its own batch: the record's is named.
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const forged = requestedEvent(1);
    const envelope = { ...callEnvelope(AGENT, { callId: 'call-1' }) };
    envelope.signatures = callEnvelope(OTHER, { callId: 'call-1' }).signatures;
    for (const e of [requestedEvent(0), { ...forged, data: { ...forged.data, envelope } }, event(2)]) {
      await log.append(e, AGENT);
    }
    const bad = text(swapSig([...sink.lines], 1, 2));
    const expected = verifyLog(bad, { trust });
    expect(expected).toMatchObject({
      ok: false,
      line: 2,
      reason: expect.stringContaining('signature of record seq 1'),
    });
    expect(await verifyLogFile(fileWith(bad), { trust, workers: 2, batchSize: 1 })).toMatchObject(expected);
  });

  it('always agrees with verifyLog on randomly tampered logs (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(lines.length - 1), fc.nat(lines.length - 1)), { maxLength: 3 }),
        fc.nat(lines.length),
        fc.option(fc.nat()),
        async (swaps, cut, flip) => {
          const ls = [...lines];
          for (const [a, b] of swaps) swapSig(ls, a, b);
          // And perhaps one byte made into one that is never UTF-8.
          const log = bytesWith(text(ls.slice(0, cut)), (b) => {
            if (flip !== null && b.length > 0) b[flip % b.length] = 0xff;
          });
          const expected = verifyLog(log, { trust });
          const report = await verifyLogFile(fileWith(log), { trust, workers: 2, batchSize: 3 });
          expect(report).toMatchObject(expected);
        },
      ),
      // Each run starts two worker threads (seconds on a loaded machine): few runs, a generous timeout.
      { numRuns: 4 },
    );
  }, 120_000);

  it('proves the log extends an external checkpoint, and names a truncation after it', async () => {
    const checkpoint = verifyLog(text(lines), { trust });
    if (!checkpoint.ok || checkpoint.latestCheckpoint === undefined) throw new Error('sample log has no checkpoint');
    const ok = await verifyLogFile(fileWith(text(lines)), { trust, checkpoint: checkpoint.latestCheckpoint });
    expect(ok).toMatchObject({ ok: true, extends: lines.length - 1 });
    const cut = text(lines.slice(0, 12));
    const truncated = await verifyLogFile(fileWith(cut), { trust, checkpoint: checkpoint.latestCheckpoint });
    expect(truncated).toMatchObject({ ok: false, code: 'ERR_AUDIT_TRUNCATED', line: 13 });
  });

  it('verifies a rotated directory as one log and locates a bad line in its file', async () => {
    const logDir = join(dir, 'rotated');
    mkdirSync(logDir);
    const parts = [lines.slice(0, 8), lines.slice(8, 15), lines.slice(15)];
    for (const [i, part] of parts.entries()) writeFileSync(join(logDir, segmentName(i + 1)), text(part));
    expect(await verifyLogFile(logDir, { trust })).toMatchObject({ ok: true, records: lines.length });
    writeFileSync(join(logDir, segmentName(2)), text(swapSig([...(parts[1] as string[])], 3, 4)));
    expect(await verifyLogFile(logDir, { trust, workers: 1, batchSize: 2 })).toMatchObject({
      ok: false,
      line: 12,
      code: 'ERR_AUDIT_SIGNATURE_INVALID',
      path: join(logDir, segmentName(2)),
      fileLine: 4,
    });
  });

  it('checks a log whose signatures fit in one batch on the calling thread, starting no worker', async () => {
    expect(await verifyLogFile(fileWith(text(lines)), { trust, workers: 2 })).toMatchObject({ ok: true, workers: 0 });
  });

  it('reports progress with bytes read', async () => {
    const seen: number[] = [];
    const path = fileWith(text(lines));
    await verifyLogFile(path, { onProgress: (p) => seen.push(p.bytes, p.totalBytes, p.records) });
    expect(seen).toEqual([text(lines).length, text(lines).length, lines.length]);
  });

  it.each([
    ['workers below 0', { workers: -1 }],
    ['a fractional batch size', { batchSize: 1.5 }],
    ['trust that is not a did:key', { trust: ['nope'] }],
  ])('refuses bad options: %s', async (_label, options) => {
    await expect(verifyLogFile(fileWith(''), options as never)).rejects.toThrow(/expected/);
  });

  it('fails with the file system error for a missing path', async () => {
    await expect(verifyLogFile(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('verifyLogFile on what is not a log', () => {
  it('refuses a device or FIFO instead of reading it forever', async () => {
    await expect(verifyLogFile('/dev/zero', { trust })).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
    await expect(verifyLogFile('/dev/null', { trust })).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
  });

  it('stops at the first line longer than any record, without reading the rest of the file', async () => {
    // 3 records, then 40 MiB with no newline: the report names line 4 and reading stops soon after the bound.
    const big = `${text(lines.slice(0, 3))}${'x'.repeat(40 * 1024 * 1024)}`;
    const seen: number[] = [];
    const report = await verifyLogFile(fileWith(big), {
      trust,
      workers: 0,
      onProgress: (p) => {
        seen.push(p.bytes);
      },
    });
    expect(report).toMatchObject({ ok: false, line: 4, code: 'ERR_AUDIT_RECORD_MALFORMED' });
    expect(report).toMatchObject(verifyLog(big, { trust }));
    expect(Math.max(...seen)).toBeLessThan(8 * 1024 * 1024);
  });
});
