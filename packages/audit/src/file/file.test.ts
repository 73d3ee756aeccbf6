import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileSink, openFileAuditLog } from '../file.js';
import { AGENT, event } from '../../test/helpers.js';
import { verifyLog } from '../verify/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `log-${n++}.jsonl`);

describe('openFileAuditLog', () => {
  it.each(['fsync', 'group', 'buffered'] as const)('writes a log that verifies (%s)', async (durability) => {
    const path = fresh();
    const log = await openFileAuditLog(path, { durability });
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(event(i), AGENT)));
    await log.close();
    expect(verifyLog(readFileSync(path, 'utf8'), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 20 });
    // Records can hold arguments: the file is the owner's only.
    expect(statSync(path).mode & 0o077).toBe(0);
  });

  it('resumes an existing log and continues its chain', async () => {
    const path = fresh();
    const first = await openFileAuditLog(path);
    await first.append(event(0), AGENT);
    await first.append(event(1), AGENT);
    await first.close();
    const second = await openFileAuditLog(path);
    expect(second.size).toBe(2);
    expect((await second.append(event(2), AGENT)).seq).toBe(2);
    await second.close();
    expect(verifyLog(readFileSync(path, 'utf8'), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 3 });
  });

  it('sets a torn last line aside, reports it, and appends after the last whole record', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path);
    for (let i = 0; i < 3; i++) await log.append(event(i), AGENT);
    await log.close();
    const whole = readFileSync(path, 'utf8');
    const torn = whole.split('\n')[1]?.slice(0, 57) as string;
    appendFileSync(path, torn);
    expect(verifyLog(readFileSync(path, 'utf8'))).toMatchObject({
      ok: false,
      line: 4,
      code: 'ERR_AUDIT_RECORD_TRUNCATED',
    });
    const reopened = await openFileAuditLog(path);
    expect(reopened.torn).toMatchObject({ line: 4, bytes: 57, savedTo: `${path}.torn` });
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe(`${torn}\n`);
    expect((await reopened.append(event(3), AGENT)).seq).toBe(3);
    await reopened.close();
    expect(verifyLog(readFileSync(path, 'utf8'), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 4 });
  });

  it('refuses to open a log damaged other than at its tail', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path);
    for (let i = 0; i < 3; i++) await log.append(event(i), AGENT);
    await log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [lines[0], lines[2], ''].join('\n'));
    await expect(openFileAuditLog(path)).rejects.toMatchObject({
      code: 'ERR_AUDIT_CHAIN_BROKEN',
      message: expect.stringContaining(':2:'),
    });
  });

  it('fails closed when the file cannot be written', async () => {
    const path = fresh();
    const sink = await createFileSink(path);
    await sink.close();
    await expect(sink.write(['{}'])).rejects.toMatchObject({ code: 'ERR_AUDIT_CLOSED' });
  });

  it.each([
    ['an unknown durability', { durability: 'sometimes' }],
    ['a zero flush interval', { flushIntervalMs: 0 }],
  ])('throws RangeError for %s', async (_name, options) => {
    await expect(createFileSink(fresh(), options as never)).rejects.toThrow(RangeError);
  });
});

describe('openAuditDirectory (rotation)', () => {
  it('rotates by size, continues the chain and tree across files, and resumes', async () => {
    const { openAuditDirectory, readLogDirectory } = await import('../file.js');
    const { LOG_KEY } = await import('../../test/helpers.js');
    const logDir = join(dir, `rotated-${n++}`);
    const options = { rotate: { maxBytes: 2000 }, checkpoint: { signer: LOG_KEY, everyRecords: 5, everyMs: 0 } };
    const log = await openAuditDirectory(logDir, options);
    for (let i = 0; i < 12; i++) await log.append(event(i), AGENT);
    await log.close();
    const again = await openAuditDirectory(logDir, options);
    for (let i = 12; i < 15; i++) await again.append(event(i), AGENT);
    await again.close();
    const content = await readLogDirectory(logDir);
    expect(content.files.length).toBeGreaterThan(3);
    const report = verifyLog(content.text, { trust: [AGENT.id, LOG_KEY.id] });
    expect(report).toMatchObject({ ok: true, sealed: true });
    // A bad record is named by file and line.
    const lines = content.text.split('\n');
    lines[3] = (lines[3] as string).replace('"search"', '"searcH"');
    const bad = verifyLog(lines.join('\n'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(content.locate(bad.line)).toMatchObject({ path: expect.stringContaining('audit-0000') });
  });

  it('rotates by age', async () => {
    const { openAuditDirectory, readLogDirectory } = await import('../file.js');
    const logDir = join(dir, `aged-${n++}`);
    let now = 0;
    const { createRotatingSink } = await import('./dir.js');
    const sink = await createRotatingSink(logDir, { rotate: { maxBytes: 0, maxAgeMs: 1000 }, clock: () => now });
    await sink.write(['{"a":1}']);
    now = 999;
    await sink.write(['{"a":2}']);
    now = 1000;
    await sink.write(['{"a":3}']);
    await sink.close();
    const content = await readLogDirectory(logDir);
    expect(content.files.map((f) => f.lines)).toEqual([2, 1]);
    expect(openAuditDirectory).toBeTypeOf('function');
  });

  it('keeps the origin of a resumed log and refuses another', async () => {
    const { LOG_KEY } = await import('../../test/helpers.js');
    const path = fresh();
    const first = await openFileAuditLog(path, {
      checkpoint: { signer: LOG_KEY, origin: 'first.example', everyMs: 0 },
    });
    await first.append(event(0), AGENT);
    await first.close();
    const again = await openFileAuditLog(path, { checkpoint: { signer: LOG_KEY, everyMs: 0 } });
    await again.append(event(1), AGENT);
    await again.close();
    expect(verifyLog(readFileSync(path, 'utf8'))).toMatchObject({ ok: true, checkpoints: 2 });
    await expect(openFileAuditLog(path, { checkpoint: { signer: LOG_KEY, origin: 'other.example' } })).rejects.toThrow(
      TypeError,
    );
  });

  it('refuses a directory with a missing file', async () => {
    const { openAuditDirectory } = await import('../file.js');
    const logDir = join(dir, `gap-${n++}`);
    const log = await openAuditDirectory(logDir, { rotate: { maxBytes: 10 } });
    for (let i = 0; i < 3; i++) await log.append(event(i), AGENT);
    await log.close();
    rmSync(join(logDir, 'audit-000002.jsonl'));
    await expect(openAuditDirectory(logDir)).rejects.toMatchObject({ code: 'ERR_AUDIT_CHAIN_BROKEN' });
  });

  it('gives the bytes of a directory with a line that is not UTF-8; only its text throws', async () => {
    const { openAuditDirectory, readLogDirectory } = await import('../file.js');
    const logDir = join(dir, `not-utf8-${n++}`);
    const log = await openAuditDirectory(logDir, { rotate: { maxBytes: 10 } });
    for (let i = 0; i < 3; i++) await log.append(event(i), AGENT);
    await log.close();
    const second = join(logDir, 'audit-000002.jsonl');
    const bytes = readFileSync(second);
    bytes[bytes.indexOf(0x22)] = 0xff; // the first '"' of its only line
    writeFileSync(second, bytes);
    const content = await readLogDirectory(logDir);
    expect(verifyLog(content.bytes)).toMatchObject({ ok: false, line: 2, reason: expect.stringContaining('UTF-8') });
    expect(() => content.text).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_RECORD_MALFORMED' }));
    expect(() => content.text).toThrow(`${second}:1:`);
  });

  it('records a torn tail as a log.recovered record when the log has a key', async () => {
    const { LOG_KEY } = await import('../../test/helpers.js');
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint: { signer: LOG_KEY, everyMs: 0 } });
    await log.append(event(0), AGENT);
    await log.close();
    appendFileSync(path, '{"v":1,"seq":2,"t');
    const reopened = await openFileAuditLog(path, { checkpoint: { signer: LOG_KEY, everyMs: 0 } });
    await reopened.close();
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['call.completed', 'checkpoint', 'log.recovered', 'checkpoint']);
    expect(lines[2].data.torn).toMatchObject({ line: 3, bytes: 17 });
    expect(verifyLog(readFileSync(path, 'utf8'), { trust: [AGENT.id, LOG_KEY.id] })).toMatchObject({ ok: true });
  });
});
