import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditDirectory, openFileAuditLog } from '../file.js';
import { AGENT, event } from '../../test/helpers.js';
import { verifyLog } from '../verify/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-audit-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `log-${n++}.jsonl`);

/** A pid no process has (above Linux's pid_max limit of 2^22). */
const DEAD_PID = 4_194_304 + 17;

describe('one writer per log', () => {
  it('refuses a second writer while the first holds the log, reading and writing nothing', async () => {
    const path = fresh();
    const first = await openFileAuditLog(path);
    await first.append(event(0), AGENT);
    const before = readFileSync(path);
    await expect(openFileAuditLog(path)).rejects.toMatchObject({
      code: 'ERR_AUDIT_LOG_LOCKED',
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    expect(readFileSync(path)).toEqual(before);
    await first.append(event(1), AGENT);
    await first.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    const second = await openFileAuditLog(path);
    expect(second.size).toBe(2);
    await second.close();
  });

  it('never cuts a tail while another writer holds the log: an in-flight write is not a torn line', async () => {
    const path = fresh();
    const first = await openFileAuditLog(path);
    await first.append(event(0), AGENT);
    // What another writer's write looks like half-way: a line without its newline yet.
    appendFileSync(path, '{"v":1,"seq":1,"t');
    const before = readFileSync(path);
    await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(`${path}.torn`)).toBe(false);
    await first.close();
  });

  it('takes over a lock left by a crashed process on this host', async () => {
    const path = fresh();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: DEAD_PID, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const log = await openFileAuditLog(path);
    await log.append(event(0), AGENT);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await log.close();
    expect(verifyLog(readFileSync(path))).toMatchObject({ ok: true, records: 1 });
  });

  it.runIf(existsSync('/proc/sys/kernel/random/boot_id'))(
    'tells a live writer from another process that now has its pid (Linux: boot id and start time)',
    async () => {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
      const lock = (fields: object) =>
        JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00Z', ...fields });
      // The parent process is alive: with its own boot and start time, the lock is its, and is kept.
      const path = fresh();
      writeFileSync(`${path}.lock`, lock({ boot, start }));
      await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
      // Written in another boot, or by a process that started at another time: that writer is gone.
      for (const stale of [
        { boot: '00000000-0000-0000-0000-000000000000', start },
        { boot, start: '1' },
      ]) {
        const other = fresh();
        writeFileSync(`${other}.lock`, lock(stale));
        const log = await openFileAuditLog(other);
        expect(JSON.parse(readFileSync(`${other}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, boot });
        await log.close();
      }
    },
  );

  it('never breaks a lock from another host, or one it cannot read', async () => {
    const path = fresh();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: DEAD_PID, host: `not-${hostname()}`, since: 'x' }));
    await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    writeFileSync(`${path}.lock`, 'garbage');
    await expect(openFileAuditLog(path)).rejects.toMatchObject({
      code: 'ERR_AUDIT_LOG_LOCKED',
      message: expect.stringContaining('does not name its writer'),
    });
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe('garbage');
  });

  it('gives the lock back when opening fails', async () => {
    const path = fresh();
    writeFileSync(path, 'not a log\n');
    await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_RECORD_MALFORMED' });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('locks a log directory as one log', async () => {
    const logDir = join(dir, `rotated-${n++}`);
    const log = await openAuditDirectory(logDir, { rotate: { maxBytes: 10 } });
    await expect(openAuditDirectory(logDir)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    await log.append(event(0), AGENT);
    await log.close();
    expect(existsSync(join(logDir, 'audit.lock'))).toBe(false);
  });
});

describe("tornTail: 'refuse'", () => {
  it('names the torn line and cuts nothing', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path);
    for (let i = 0; i < 2; i++) await log.append(event(i), AGENT);
    await log.close();
    appendFileSync(path, '{"v":1,"seq":2,"t');
    const before = readFileSync(path);
    await expect(openFileAuditLog(path, { tornTail: 'refuse' })).rejects.toMatchObject({
      code: 'ERR_AUDIT_RECORD_TRUNCATED',
      message: expect.stringContaining(`${path}:3:`),
    });
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(`${path}.torn`)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('throws RangeError for an unknown value', async () => {
    await expect(openFileAuditLog(fresh(), { tornTail: 'cut' as never })).rejects.toThrow(RangeError);
  });
});
