import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { AuditError } from '../errors.js';

/**
 * The one-writer lock of a log: a file `<log>.lock` (for a log directory, `<dir>/audit.lock`) naming the
 * process that appends. Every writer (`openFileAuditLog`, `openAuditDirectory`, so the guard and the CLI
 * alike) takes it before it reads the log's tail, and gives it back on `close`. Two writers on one file
 * would race on the chain, and the second would take the first's in-flight write for a torn tail.
 *
 * The lock file is written whole under a temporary name and hard-linked into place: `link` fails on an
 * existing name on every local file system, so exactly one writer wins and no reader ever sees it half
 * written. A lock whose process is gone (same host and no such pid, or, on Linux, written in an earlier boot or
 * naming a pid now held by a process that started at another time) was left by a crash and is taken over; a
 * lock from another host, or one that cannot be read, is never broken automatically (fail closed).
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
  /** Linux: the holder's start time, in clock ticks since boot (`/proc/<pid>/stat`, field 22). */
  readonly start?: string;
}

/** This machine's boot id, or undefined where there is none (not Linux). */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
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
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses: fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Lock files held by this process: a pid equal to ours in any other lock file is a previous incarnation's. */
const held = new Set<string>();

const tmpName = (path: string, what: string) => `${path}.${randomBytes(6).toString('hex')}.${what}`;

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder> | null;
    if (
      typeof value === 'object' &&
      value !== null &&
      Number.isSafeInteger(value.pid) &&
      typeof value.host === 'string' &&
      typeof value.since === 'string' &&
      (value.boot === undefined || typeof value.boot === 'string') &&
      (value.start === undefined || typeof value.start === 'string')
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
  const boot = bootId();
  if (holder.boot !== undefined && boot !== undefined && holder.boot !== boot) return true;
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

const readText = (path: string) =>
  readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });

/**
 * Takes the one-writer lock of the log at `logPath`. Node only. @internal
 *
 * @param lockPath - the lock file.
 * @param logPath - the log, for messages.
 * @throws AuditError `ERR_AUDIT_LOG_LOCKED` when another live writer holds it; the file system's error otherwise.
 */
export async function acquireWriterLock(lockPath: string, logPath: string): Promise<WriterLock> {
  const boot = bootId();
  const start = startTime(process.pid);
  const mine = `${JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(boot === undefined ? {} : { boot }),
    ...(start === undefined ? {} : { start }),
  })}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = tmpName(lockPath, 'tmp');
    let won = false;
    try {
      await writeFile(tmp, mine, { mode: 0o600, flag: 'wx' });
      await link(tmp, lockPath);
      won = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    if (won) {
      held.add(lockPath);
      let released = false;
      return Object.freeze({
        path: lockPath,
        async release() {
          if (released) return;
          released = true;
          held.delete(lockPath);
          // Only our own lock: never remove one a later writer took after ours was (wrongly) broken.
          if ((await readText(lockPath)) === mine) await unlink(lockPath).catch(() => undefined);
        },
      });
    }
    const text = await readText(lockPath);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = parseHolder(text);
    if (holder === undefined || !isStale(lockPath, holder)) throw lockedError(logPath, lockPath, holder);
    // Take the stale lock over: move it aside (atomic), and check it was the one judged stale; a live lock
    // that replaced it meanwhile is put back and we refuse.
    const aside = tmpName(lockPath, 'stale');
    try {
      await rename(lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await readText(aside);
    if (moved !== text) {
      await link(aside, lockPath).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      throw lockedError(logPath, lockPath, moved === undefined ? undefined : parseHolder(moved));
    }
    await unlink(aside).catch(() => undefined);
  }
  throw lockedError(logPath, lockPath, undefined);
}
