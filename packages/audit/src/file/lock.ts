import { randomBytes } from 'node:crypto';
import { constants, readFileSync, readlinkSync } from 'node:fs';
import { link, open, realpath, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AuditError } from '../errors.js';

/**
 * The one-writer lock of a log: a file `<log>.lock` (for a log directory, `<dir>/audit.lock`) naming the
 * process that appends. Every writer (`openFileAuditLog`, `openAuditDirectory`, so the guard and the CLI
 * alike) takes it before it reads the log's tail, and gives it back on `close`. Two writers on one file
 * would race on the chain, and the second would take the first's in-flight write for a torn tail.
 *
 * - The lock file is written whole under a temporary name and hard-linked into place: `link` fails on an
 *   existing name on every local file system, so exactly one writer wins and no reader sees it half written.
 *   Its directory is resolved (symbolic links followed), so two spellings of one log take one lock.
 * - A lock is judged stale only when its writer is certainly gone: same host and same PID namespace, and no
 *   such pid, or (Linux) written in an earlier boot, or naming a pid now held by a process that started at
 *   another time. Pids mean nothing across PID namespaces (two containers of one pod share a host name), so
 *   a lock from another namespace, another host, or one that cannot be read is never broken automatically.
 * - Breaking a stale lock is serialised by a second file (`<lock>.break`, created exclusively): only its
 *   holder reads the lock again, and removes it only if it is still the stale one.
 */
export interface WriterLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file if it is still this lock; idempotent. */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /** Linux: the boot the holder ran in (`/proc/sys/kernel/random/boot_id`). */
  readonly boot?: string;
  /** Linux: the holder's PID namespace (`/proc/self/ns/pid`). */
  readonly pidns?: string;
  /** Linux: the holder's start time, in clock ticks since boot (`/proc/<pid>/stat`, field 22). */
  readonly start?: string;
}

/** Lock files held by this process (by their resolved path): a pid equal to ours elsewhere is an earlier run's. */
const held = new Set<string>();

/** Longest lock file read: a holder is a short JSON line; anything longer is not a lock this code wrote. */
const MAX_LOCK_BYTES = 4096;

/** How old a `.break` file may be before it is taken for one a crashed breaker left. */
const BREAK_STALE_MS = 10_000;

const tmpName = (path: string, what: string) => `${path}.${randomBytes(6).toString('hex')}.${what}`;

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/**
 * When process `pid` started (clock ticks since boot), or undefined where that cannot be read. With the boot
 * id it names one process for good: after a crash and a reboot (or a restarted container), another process
 * may have the pid a stale lock names, and the pid alone would keep that lock for ever.
 */
function startTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or parentheses: fields follow the last ')'.
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder> | null;
    if (
      typeof value === 'object' &&
      value !== null &&
      Number.isSafeInteger(value.pid) &&
      typeof value.host === 'string' &&
      typeof value.since === 'string' &&
      optionalString(value.boot) &&
      optionalString(value.pidns) &&
      optionalString(value.start)
    ) {
      return value as Holder;
    }
  } catch {
    // Not ours: described as unreadable below.
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(lockPath: string, holder: Holder): boolean {
  if (holder.host !== hostname()) return false;
  // Written in an earlier boot of this machine: its writer is gone, whatever now has its pid.
  const boot = readProc('/proc/sys/kernel/random/boot_id');
  if (holder.boot !== undefined && boot !== undefined && holder.boot !== boot) return true;
  // A pid names a process only inside its PID namespace: from another one (or when either side cannot tell),
  // nothing about the holder can be known here.
  if (holder.pidns !== pidNamespace()) return false;
  if (holder.pid === process.pid) return !held.has(lockPath);
  if (!alive(holder.pid)) return true;
  // The pid is taken, but by a process that started at another time: not the writer that took the lock.
  const start = startTime(holder.pid);
  return holder.start !== undefined && start !== undefined && holder.start !== start;
}

function lockedError(logPath: string, lockPath: string, holder: Holder | undefined): AuditError {
  const who =
    holder === undefined
      ? `${lockPath} exists and does not name its writer`
      : `held by pid ${holder.pid} on ${holder.host} since ${holder.since}`;
  return new AuditError(
    'ERR_AUDIT_LOG_LOCKED',
    `${logPath} is being written by another writer (${who}); nothing was read or written. Stop that writer, or ` +
      `append through it; remove ${lockPath} only if you are sure no process writes the log`,
  );
}

/**
 * The text of a lock file, undefined when there is none, or null when it is not a small regular file (a link,
 * a FIFO, a device): such a "lock" is never read (it could block or be endless) and never broken.
 */
async function readLock(path: string): Promise<string | undefined | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'ENXIO') return null;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_LOCK_BYTES) return null;
    const buffer = Buffer.alloc(MAX_LOCK_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return bytesRead > MAX_LOCK_BYTES ? null : buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The lock path with its directory resolved, so every spelling of one directory gives one lock and one key. */
async function resolveLockPath(lockPath: string): Promise<string> {
  return join(await realpath(dirname(lockPath)), basename(lockPath));
}

/**
 * Removes the stale lock whose text is `text`, if it is still that lock, holding `<lock>.break` meanwhile so that
 * no two breakers act on one judgement. Returns whether the caller should try to take the lock again.
 */
async function breakStale(lockPath: string, text: string): Promise<boolean> {
  const breaker = `${lockPath}.break`;
  try {
    await writeFile(breaker, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another breaker is at work, or one crashed mid-way: a breaker file left long ago is removed, and the
    // lock is judged again from the start (never broken on this judgement).
    const info = await stat(breaker).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > BREAK_STALE_MS) await unlink(breaker).catch(() => {});
    return info === undefined || Date.now() - info.mtimeMs > BREAK_STALE_MS;
  }
  try {
    if ((await readLock(lockPath)) === text) await unlink(lockPath).catch(() => {});
    return true;
  } finally {
    await unlink(breaker).catch(() => {});
  }
}

/**
 * Takes the one-writer lock of the log at `logPath`. Node only. @internal
 *
 * @param lockPath - the lock file.
 * @param logPath - the log, for messages.
 * @throws AuditError `ERR_AUDIT_LOG_LOCKED` when another writer holds it (or may); the file system's error otherwise.
 */
export async function acquireWriterLock(lockPath: string, logPath: string): Promise<WriterLock> {
  const path = await resolveLockPath(lockPath);
  const boot = readProc('/proc/sys/kernel/random/boot_id');
  const pidns = pidNamespace();
  const start = startTime(process.pid);
  // The nonce makes this lock's text its own: release() removes only the lock it wrote.
  const mine = `${JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
    ...(boot === undefined ? {} : { boot }),
    ...(pidns === undefined ? {} : { pidns }),
    ...(start === undefined ? {} : { start }),
  })}\n`;
  for (let attempt = 0; attempt < 4; attempt++) {
    const tmp = tmpName(path, 'tmp');
    let won = false;
    try {
      await writeFile(tmp, mine, { mode: 0o600, flag: 'wx' });
      await link(tmp, path);
      won = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    if (won) {
      held.add(path);
      let released = false;
      return Object.freeze({
        path,
        async release() {
          if (released) return;
          released = true;
          held.delete(path);
          // Only our own lock: never remove one a later writer took after ours was (wrongly) broken.
          if ((await readLock(path)) === mine) await unlink(path).catch(() => undefined);
        },
      });
    }
    const text = await readLock(path);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = text === null ? undefined : parseHolder(text);
    if (text === null || holder === undefined || !isStale(path, holder)) throw lockedError(logPath, path, holder);
    if (!(await breakStale(path, text))) throw lockedError(logPath, path, holder);
  }
  throw lockedError(logPath, path, undefined);
}
