import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The permission-model flag the running Node accepts: `--permission` (Node 22.13+/23.5+), else
 * `--experimental-permission` (Node 20.x), else undefined (no permission model).
 */
export function permissionFlag(): '--permission' | '--experimental-permission' | undefined {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return undefined;
}

/** Answers by bwrap path: a check of one binary says nothing about another. */
const bwrapCache = new Map<string, { ok: boolean; reason: string }>();

/**
 * Whether bubblewrap can make a sandbox here: Linux, `bwrap` on PATH (or at `path`), and user
 * namespaces allowed (it runs `bwrap --unshare-all … true` once and caches the answer).
 */
export function bwrapAvailable(path = 'bwrap'): { readonly ok: boolean; readonly reason: string } {
  const cached = bwrapCache.get(path);
  if (cached !== undefined) return cached;
  let answer: { ok: boolean; reason: string };
  if (process.platform !== 'linux') {
    answer = { ok: false, reason: `bubblewrap needs Linux, this is ${process.platform}` };
  } else {
    const r = spawnSync(path, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true'], {
      stdio: 'ignore',
      timeout: 5000,
    });
    answer =
      r.error !== undefined
        ? { ok: false, reason: `bwrap not runnable: ${r.error.message} (install bubblewrap, or give bwrapPath)` }
        : r.status === 0
          ? { ok: true, reason: 'bwrap works' }
          : { ok: false, reason: `bwrap exited with ${String(r.status)} (user namespaces disabled?)` };
  }
  bwrapCache.set(path, answer);
  return answer;
}

/** Paths bwrap mounts read-only so that the Node binary runs: system libraries and Node's own folder. */
export function systemMounts(): string[] {
  const node = realpathSync(process.execPath);
  const out = [
    '/usr',
    '/lib',
    '/lib64',
    '/bin',
    '/etc/ssl',
    '/etc/ca-certificates',
    '/etc/resolv.conf',
    dirname(dirname(node)),
  ];
  return out.filter((p) => existsSync(p));
}

const PAGE = 4096;

/** Resident memory in bytes of `pid` and all its descendants (Linux /proc), 0 when gone or elsewhere. */
export function treeRss(pid: number): number {
  let total = 0;
  const stack = [pid];
  let guard = 0;
  while (stack.length > 0 && guard++ < 4096) {
    const p = stack.pop() as number;
    try {
      const statm = readFileSync(`/proc/${p}/statm`, 'utf8').split(' ');
      total += Number(statm[1] ?? 0) * PAGE;
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids !== '') for (const k of kids.split(' ')) stack.push(Number(k));
      }
    } catch {
      // The process ended between reads, or this is not Linux.
    }
  }
  return total;
}
