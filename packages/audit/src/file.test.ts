import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileSink, openFileAuditLog } from './file.js';
import { AGENT, event } from './test-helpers.js';
import { verifyLog } from './verify.js';

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
    expect(reopened.torn).toEqual({ line: 4, bytes: 57, savedTo: `${path}.torn` });
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
