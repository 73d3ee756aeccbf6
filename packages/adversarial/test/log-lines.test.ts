/**
 * Invariant: every reader of audit-log bytes (verifyLog, verifyLogFile with or without workers, readLog,
 * openFileAuditLog, readLogDirectory, openAuditDirectory) decodes each line as strict UTF-8 and names the
 * same first bad line; a batched (unsigned) record is authenticated only by a checkpoint of the very key
 * it names; a checkpoint's origin is a C2SP key name; and a report says how many events it saw.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink, readLog, verifyLog } from '@agentguard/audit';
import { openAuditDirectory, openFileAuditLog, readLogDirectory, verifyLogFile } from '@agentguard/audit/file';
import { utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT, Forger, LOG, OTHER } from './audit-forge.js';
import { fuzzParams } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-log-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fileWith = (bytes: Uint8Array | string) => {
  const path = join(dir, `log-${n++}.jsonl`);
  writeFileSync(path, bytes);
  return path;
};

/** A valid log whose records hold multi-byte text, U+FFFD among it: 6 events and a checkpoint. */
async function sampleBytes(): Promise<Uint8Array> {
  const sink = createMemorySink();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  const log = createAuditLog({
    sink,
    clock: () => t++,
    checkpoint: { signer: LOG, origin: 'example.com/audit', everyRecords: 0, everyMs: 0 },
  });
  const texts = ['plain', 'caf\u00e9', 'repl \uFFFD here', '\u{1F600} emoji', '\u4E2D\u6587', 'tail \uFFFD'];
  for (const [i, note] of texts.entries()) {
    await log.append(
      { type: 'call.completed', callId: `c${i}`, agent: AGENT.id, tool: 'search', data: { note } },
      AGENT,
    );
  }
  await log.close();
  return utf8(sink.text());
}
const good = await sampleBytes();
const trust = [AGENT.id, LOG.id];
const lineOf = (bytes: Uint8Array, at: number) => bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;

/** Every reader's verdict on `bytes`: the first bad line each names (0 when it accepts). */
async function verdicts(bytes: Uint8Array, workers = 0) {
  const path = fileWith(bytes);
  const logDir = join(dir, `dir-${n++}`);
  mkdirSync(logDir);
  writeFileSync(join(logDir, 'audit-000001.jsonl'), bytes);
  const lineIn = (error: unknown) => {
    const match = /:(\d+): /.exec(String((error as Error).message)) ?? /^line (\d+):/.exec((error as Error).message);
    return match === null ? -1 : Number(match[1]);
  };
  const thrown = async (run: () => unknown) => {
    try {
      const value = await run();
      if (value !== null && typeof value === 'object' && 'close' in value)
        await (value as { close(): Promise<void> }).close();
      return 0;
    } catch (error) {
      return lineIn(error);
    }
  };
  const report = verifyLog(bytes, { trust });
  const file = await verifyLogFile(path, { trust, workers, batchSize: 2 });
  const directory = await verifyLogFile(logDir, { trust, workers: 0 });
  return {
    verifyLog: report.ok ? 0 : report.line,
    verifyLogFile: file.ok ? 0 : file.line,
    directory: directory.ok ? 0 : directory.line,
    readLog: await thrown(() => readLog(bytes)),
    reopen: await thrown(() => openFileAuditLog(fileWith(bytes))),
    reopenDirectory: await thrown(() => openAuditDirectory(logDir)),
    report,
    // A decoder, not a verifier: it names a line only when that line is not UTF-8.
    decoded: await thrown(async () => (await readLogDirectory(logDir)).text),
  };
}

describe('fatal UTF-8: a changed byte cannot hide behind a replacement character', () => {
  it('refuses EF BF BD changed to FF at its line, in every reader', async () => {
    const at = good.indexOf(0xef);
    expect([good[at], good[at + 1], good[at + 2]]).toEqual([0xef, 0xbf, 0xbd]);
    const bad = good.slice();
    bad[at] = 0xff;
    const line = lineOf(good, at);
    const seen = await verdicts(bad, 2);
    expect(seen.report).toMatchObject({
      ok: false,
      line,
      code: 'ERR_AUDIT_RECORD_MALFORMED',
      reason: expect.stringContaining('UTF-8'),
    });
    const { report: _, ...lines } = seen;
    expect(lines).toEqual({
      verifyLog: line,
      verifyLogFile: line,
      directory: line,
      readLog: line,
      reopen: line,
      reopenDirectory: line,
      decoded: line,
    });
  });

  it('refuses a byte-order mark put before a record (a fatal decoder would strip it silently)', async () => {
    const second = good.indexOf(0x0a) + 1;
    const bad = new Uint8Array([...good.subarray(0, second), 0xef, 0xbb, 0xbf, ...good.subarray(second)]);
    const { report, decoded, ...lines } = await verdicts(bad);
    expect(report).toMatchObject({ ok: false, line: 2, code: 'ERR_AUDIT_RECORD_MALFORMED' });
    expect(new Set(Object.values(lines))).toEqual(new Set([2]));
    expect(decoded).toBe(0);
  });

  it('reopens a file torn mid-character by cutting exactly the torn bytes', async () => {
    const torn = new Uint8Array([...good, ...utf8('{"note":"caf'), 0xc3]);
    const path = fileWith(torn);
    const log = await openFileAuditLog(path);
    expect(log.torn).toMatchObject({ bytes: 13 });
    await log.close();
    expect(new Uint8Array(readFileSync(path))).toEqual(good);
    expect(verifyLog(new Uint8Array(readFileSync(path)), { trust })).toMatchObject({ ok: true });
  });

  it('finds any byte changed into one that is never UTF-8 at its own line (property)', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.constantFrom(0xff, 0xfe, 0xc0, 0xc1, 0xf5, 0xf8), (at, byte) => {
        const bad = good.slice();
        bad[at] = byte;
        const report = verifyLog(bad, { trust });
        // The last newline changed leaves a torn last line: truncated, at the same line (a torn write may end mid-character).
        const code = at === good.length - 1 ? 'ERR_AUDIT_RECORD_TRUNCATED' : 'ERR_AUDIT_RECORD_MALFORMED';
        return !report.ok && report.line === lineOf(good, at) && report.code === code;
      }),
      fuzzParams(),
    );
  });

  it('every reader names the same line for a changed byte (property)', async () => {
    await fc.assert(
      // Not the final newline: changing it leaves a torn last line, which reopening rightly cuts and recovers
      // (the property above and the torn-tail tests hold that case).
      fc.asyncProperty(fc.nat(good.length - 2), fc.constantFrom(0xff, 0x80, 0xbf, 0xe0), async (at, byte) => {
        const bad = good.slice();
        bad[at] = byte;
        const { report, decoded, ...lines } = await verdicts(bad);
        expect(report.ok).toBe(false);
        if (report.ok) return;
        expect(new Set(Object.values(lines))).toEqual(new Set([report.line]));
        expect(decoded).toBe(report.reason.includes('UTF-8') ? report.line : 0);
      }),
      fuzzParams(15),
    );
  });
});

describe('batched records are attributed to the key of the checkpoint that covers them', () => {
  it('refuses an unsigned record naming agent A between a log-key batched record and a log-key checkpoint', async () => {
    const forged = new Forger()
      .event({ agent: AGENT.id }, AGENT)
      .event({ agent: AGENT.id }, LOG, false)
      .event({ type: 'call.requested', tool: 'transfer', agent: AGENT.id }, AGENT, false)
      .checkpoint(LOG);
    const report = verifyLog(forged.text(), { trust });
    expect(report).toMatchObject({ ok: false, line: 3, code: 'ERR_AUDIT_SIGNATURE_INVALID' });
    for (const workers of [0, 2]) {
      const file = await verifyLogFile(fileWith(forged.text()), { trust, workers, batchSize: 1 });
      expect(file).toMatchObject({
        ok: false,
        line: report.ok ? -1 : report.line,
        code: 'ERR_AUDIT_SIGNATURE_INVALID',
      });
    }
  });

  it('refuses it when it comes first, too, and when a checkpoint by another key follows', () => {
    const first = new Forger().event({}, AGENT, false).event({}, LOG, false).checkpoint(LOG);
    expect(verifyLog(first.text())).toMatchObject({ ok: false, line: 2, code: 'ERR_AUDIT_SIGNATURE_INVALID' });
    const other = new Forger().event({}, AGENT, false).checkpoint(LOG);
    expect(verifyLog(other.text())).toMatchObject({ ok: false, line: 2, code: 'ERR_AUDIT_CHECKPOINT_INVALID' });
  });

  type Op = 'signed' | 'batched-log' | 'batched-agent' | 'batched-other' | 'checkpoint';
  const op = fc.constantFrom<Op>('signed', 'batched-log', 'batched-agent', 'batched-other', 'checkpoint');

  it('verifies exactly when every batched record names the key of its covering checkpoint (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        const forger = new Forger();
        let pending: string[] = [];
        let expectOk = true;
        for (const o of ops) {
          if (o === 'signed') forger.event({}, AGENT);
          else if (o === 'checkpoint') {
            if (pending.some((s) => s !== LOG.id)) expectOk = false;
            pending = [];
            forger.checkpoint(LOG);
          } else {
            const who = o === 'batched-log' ? LOG : o === 'batched-agent' ? AGENT : OTHER;
            pending.push(who.id);
            forger.event({ agent: AGENT.id }, who, false);
          }
        }
        if (pending.length > 0) expectOk = false;
        const report = verifyLog(forger.text(), { trust: [AGENT.id, LOG.id, OTHER.id] });
        expect(report.ok).toBe(expectOk);
        const file = await verifyLogFile(fileWith(forger.text()), { trust: [AGENT.id, LOG.id, OTHER.id], workers: 0 });
        const { workers: _, ...same } = file;
        expect(same).toMatchObject(report);
      }),
      fuzzParams(100),
    );
  });
});

describe('checkpoint origins are C2SP key names; reports count events', () => {
  it('reports a checkpoint-only log and an empty log as holding no events', () => {
    expect(verifyLog(new Forger().checkpoint(LOG).text(), { trust })).toMatchObject({
      ok: true,
      records: 1,
      events: 0,
      checkpoints: 1,
    });
    expect(verifyLog('', { trust })).toMatchObject({ ok: true, records: 0, events: 0, checkpoints: 0 });
    expect(verifyLog(new Forger().event({}, AGENT).checkpoint(LOG).text())).toMatchObject({
      events: 1,
      checkpoints: 1,
    });
  });

  it.each([
    ['with a space', 'example.com/a b'],
    ['with a plus', 'example.com/a+b'],
    ['non-ASCII', 'example.com/caf\u00e9'],
    ['with a tab', 'a\tb'],
    ['with DEL', 'a\u007f'],
    ['longer than 256', 'a'.repeat(257)],
  ])('refuses a checkpoint whose origin is %s, in the log and as an external checkpoint', (_label, origin) => {
    const forged = new Forger().event({}, AGENT).checkpoint(LOG, origin);
    expect(verifyLog(forged.text(), { trust })).toMatchObject({
      ok: false,
      line: 2,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
    const log = new Forger().event({}, AGENT);
    const external = `${JSON.parse(forged.lines[1] as string).note}\n\u2014 ${origin} ${JSON.parse(forged.lines[1] as string).noteSig}\n`;
    expect(verifyLog(log.text(), { trust, checkpoint: external })).toMatchObject({
      ok: false,
      line: 0,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
  });

  it('accepts an origin exactly when it is printable ASCII without space or "+", 1 to 256 characters (property)', () => {
    const oracle = /^[\x21-\x2A\x2C-\x7E]{1,256}$/;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 12 }),
          fc.string({ maxLength: 12 }),
          fc.constant('a'.repeat(256)),
        ),
        (origin) => {
          fc.pre(!origin.includes('\n'));
          const forged = new Forger().event({}, AGENT).checkpoint(LOG, origin);
          return verifyLog(forged.text(), { trust }).ok === oracle.test(origin);
        },
      ),
      fuzzParams(),
    );
  });

  it('refuses a checkpoint that carries extension lines besides its time (signed, but bound to nothing)', () => {
    const forged = new Forger().event({}, AGENT).checkpoint(LOG, 'example.com/audit', 'grant admin\n');
    expect(verifyLog(forged.text(), { trust })).toMatchObject({
      ok: false,
      line: 2,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
  });

  it('takes an external checkpoint only from a key that signs the log’s checkpoints, not from an agent key', () => {
    const forged = new Forger().event({}, AGENT).checkpoint(LOG);
    const byAgent = new Forger().event({}, AGENT).checkpoint(AGENT);
    const record = JSON.parse(byAgent.lines[1] as string) as { note: string; noteSig: string };
    const external = `${record.note}\n\u2014 example.com/audit ${record.noteSig}\n`;
    expect(verifyLog(forged.text(), { trust, checkpoint: external })).toMatchObject({
      ok: false,
      line: 0,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
  });
});
