import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
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

/** This process's PID namespace, as a lock names it (Linux), or nothing. */
const PIDNS = (() => {
  try {
    return { pidns: readlinkSync('/proc/self/ns/pid') };
  } catch {
    return {};
  }
})();

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
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: DEAD_PID, host: hostname(), since: '2026-01-01T00:00:00Z', ...PIDNS }),
    );
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
        JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00Z', ...PIDNS, ...fields });
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

  it.runIf(existsSync('/proc/self/ns/pid'))(
    'never judges a pid of another PID namespace (containers sharing a host name), unless from an earlier boot',
    async () => {
      const path = fresh();
      const foreign = { pid: DEAD_PID, host: hostname(), since: 'x', pidns: 'pid:[1]' };
      writeFileSync(`${path}.lock`, JSON.stringify(foreign));
      await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
      // Its own pid, in another namespace, is another process too.
      writeFileSync(`${path}.lock`, JSON.stringify({ ...foreign, pid: process.pid }));
      await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
      // A lock without a namespace (not written here on Linux) cannot be judged either.
      writeFileSync(`${path}.lock`, JSON.stringify({ pid: DEAD_PID, host: hostname(), since: 'x' }));
      await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
      writeFileSync(`${path}.lock`, JSON.stringify({ ...foreign, boot: '00000000-0000-0000-0000-000000000000' }));
      await (await openFileAuditLog(path)).close();
    },
  );

  it('is one lock for every spelling of the log: a linked directory, a linked file, in one process too', async () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'via-dir'));
    const first = await openFileAuditLog(join(real, 'a.jsonl'));
    await first.append(event(0), AGENT);
    symlinkSync(join(real, 'a.jsonl'), join(dir, 'via-file.jsonl'));
    for (const other of [join(dir, 'via-dir', 'a.jsonl'), join(dir, 'via-file.jsonl')]) {
      await expect(openFileAuditLog(other)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    }
    await first.close();
    await (await openFileAuditLog(join(dir, 'via-dir', 'a.jsonl'))).close();
  });

  it('refuses a log with another hard link, through every one of its names: each would take its own lock', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path);
    await log.append(event(0), AGENT);
    await log.close();
    const other = join(dir, `hard-${n++}.jsonl`);
    linkSync(path, other);
    const before = readFileSync(path);
    for (const name of [path, other]) {
      await expect(openFileAuditLog(name)).rejects.toMatchObject({
        code: 'ERR_AUDIT_NOT_A_LOG',
        message: expect.stringContaining('2 hard links'),
      });
      expect(existsSync(`${name}.lock`)).toBe(false);
    }
    expect(readFileSync(path)).toEqual(before);
    rmSync(other);
    await (await openFileAuditLog(path)).close();
  });

  it('refuses a log directory whose numbered file has another hard link', async () => {
    const logDir = join(dir, `rotated-${n++}`);
    const log = await openAuditDirectory(logDir);
    await log.append(event(0), AGENT);
    await log.close();
    linkSync(join(logDir, 'audit-000001.jsonl'), join(dir, `segment-copy-${n++}.jsonl`));
    await expect(openAuditDirectory(logDir)).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
    expect(existsSync(join(logDir, 'audit.lock'))).toBe(false);
  });

  it("writes a directory's numbered file under the directory's lock, however it is opened", async () => {
    const logDir = join(dir, `rotated-${n++}`);
    const log = await openAuditDirectory(logDir);
    await log.append(event(0), AGENT);
    await expect(openFileAuditLog(join(logDir, 'audit-000001.jsonl'))).rejects.toMatchObject({
      code: 'ERR_AUDIT_LOG_LOCKED',
    });
    await log.close();
    const single = await openFileAuditLog(join(logDir, 'audit-000001.jsonl'));
    expect(existsSync(join(logDir, 'audit.lock'))).toBe(true);
    await expect(openAuditDirectory(logDir)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    await single.close();
    expect(existsSync(join(logDir, 'audit.lock'))).toBe(false);
  });

  it('locks a log reached through a link whose target did not exist yet under the target: one lock for both names', async () => {
    const target = join(dir, `target-${n++}.jsonl`);
    const link = join(dir, `link-${n++}.jsonl`);
    symlinkSync(target, link);
    const first = await openFileAuditLog(link);
    await first.append(event(0), AGENT);
    await expect(openFileAuditLog(target)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    await first.close();
  });

  it('refuses a log directory whose numbered file is a symbolic link, existing or placed where rotation goes next', async () => {
    const logDir = join(dir, `rotated-${n++}`);
    mkdirSync(logDir);
    const elsewhere = join(dir, `elsewhere-${n++}.jsonl`);
    writeFileSync(elsewhere, '');
    symlinkSync(elsewhere, join(logDir, 'audit-000001.jsonl'));
    await expect(openAuditDirectory(logDir)).rejects.toMatchObject({
      code: 'ERR_AUDIT_NOT_A_LOG',
      message: expect.stringContaining('symbolic link'),
    });
    expect(existsSync(join(logDir, 'audit.lock'))).toBe(false);
    // A link placed where the next file would go: the rotation refuses it, and the records are not written there.
    const rotating = join(dir, `rotated-${n++}`);
    const log = await openAuditDirectory(rotating, { rotate: { maxBytes: 10 } });
    await log.append(event(0), AGENT);
    symlinkSync(elsewhere, join(rotating, 'audit-000002.jsonl'));
    await expect(log.append(event(1), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
    await log.close().catch(() => undefined);
  });

  it('refuses to open something that is not a regular file, without waiting on it', async () => {
    const fifo = join(dir, `fifo-${n++}.jsonl`);
    execFileSync('mkfifo', [fifo]);
    await expect(openFileAuditLog(fifo)).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
    await expect(openFileAuditLog(dir)).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
  });

  it('never reads or breaks a lock that is not a small regular file', async () => {
    const path = fresh();
    symlinkSync('/dev/zero', `${path}.lock`);
    await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    const fifo = fresh();
    execFileSync('mkfifo', [`${fifo}.lock`]);
    await expect(openFileAuditLog(fifo)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    const big = fresh();
    writeFileSync(`${big}.lock`, 'x'.repeat(10_000));
    await expect(openFileAuditLog(big)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
  });

  it('breaks a stale lock only while holding its breaker file; a breaker left by a crash expires', async () => {
    const path = fresh();
    const stale = JSON.stringify({ pid: DEAD_PID, host: hostname(), since: 'x', ...PIDNS });
    writeFileSync(`${path}.lock`, stale);
    writeFileSync(`${path}.lock.break`, '1\n');
    // Another breaker is at work: this opener does not act on its own judgement.
    await expect(openFileAuditLog(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(stale);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock.break`, old, old);
    await (await openFileAuditLog(path)).close();
    expect(existsSync(`${path}.lock.break`)).toBe(false);
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
