/**
 * What a policy grants a sandboxed tool (filesystem paths it may read and write, hosts and ports it may
 * reach), and the check that a runner was configured with no more than that. The runner enforces its own
 * configuration (Node's permission model, bubblewrap mounts, the egress broker); the policy says what that
 * configuration may be, and the guard refuses a runner that exceeds it, so widening a tool's reach takes a
 * policy change, not only a code change.
 *
 * Containment is lexical, on normalised absolute POSIX paths: `..` and `.` segments are resolved (clamped at
 * the root) before comparing, and a path is within a grant only when it is the granted directory or below it
 * (`/data` grants `/data/x`, never `/database`). Symbolic links are not followed (web APIs only; the runner's
 * own enforcement resolves them).
 */

/** The grants of a policy's `grants` obligation: absent lists grant nothing. */
export interface IsolationGrants {
  /** Absolute, normalised directories the tool may read (each with everything below it). */
  readonly read?: readonly string[];
  /** Absolute, normalised directories the tool may write (each with everything below it). */
  readonly write?: readonly string[];
  /** `host:port` pairs the tool may reach; a host may be a wildcard `*.example.com` (subdomains only). */
  readonly egress?: readonly string[];
}

/** What a sandbox runner was configured with, as its mark carries it. */
export interface RunnerGrants {
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly egress: readonly { readonly host: string; readonly ports: readonly number[] }[];
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_PORT = new RegExp(`^((?:\\*\\.)?${LABEL}(?:\\.${LABEL})*):([1-9][0-9]{0,4})$`);

/**
 * The absolute path `path` names once `.` and `..` segments and repeated slashes are resolved (`..` at the
 * root stays at the root), or `undefined` for a path that is not absolute, holds a NUL or a `*`.
 */
export function normaliseGrantPath(path: string): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0') || path.includes('*')) {
    return undefined;
  }
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** Whether `path` is a normalised absolute path (what a policy's grants must say, so they read as they work). */
export function isGrantPath(path: unknown): path is string {
  return typeof path === 'string' && normaliseGrantPath(path) === path;
}

/** Whether `entry` is a `host:port` grant: a lower-case host name or `*.` wildcard, and a port 1-65535. */
export function isEgressGrant(entry: unknown): entry is string {
  if (typeof entry !== 'string' || entry.length > 260) return false;
  const m = HOST_PORT.exec(entry);
  return m !== null && Number(m[2]) <= 65_535;
}

/** Whether the normalised `path` is `dir` or below it (a segment boundary, never a string prefix). */
function within(path: string, dir: string): boolean {
  return path === dir || dir === '/' || path.startsWith(`${dir}/`);
}

/** Whether the host pattern `granted` covers every host `host` (itself possibly a wildcard) can name. */
function hostCovers(granted: string, host: string): boolean {
  if (granted === host) return true;
  // `*.a.com` covers `x.a.com`, `y.x.a.com` and `*.x.a.com`, never `a.com` itself.
  return granted.startsWith('*.') && host.endsWith(granted.slice(1));
}

function splitEgress(entry: string): { host: string; port: number } {
  const at = entry.lastIndexOf(':');
  return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
}

/** Directories in both lists: for each pair, the deeper one when one contains the other. */
function intersectPaths(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a) {
    for (const y of b) {
      if (within(x, y)) out.add(x);
      else if (within(y, x)) out.add(y);
    }
  }
  return [...out];
}

/** `host:port` pairs both lists grant (a wildcard meeting a narrower host keeps the narrower one). */
function intersectEgress(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a) {
    const gx = splitEgress(x);
    for (const y of b) {
      const gy = splitEgress(y);
      if (gx.port !== gy.port) continue;
      if (hostCovers(gy.host, gx.host)) out.add(x);
      else if (hostCovers(gx.host, gy.host)) out.add(y);
    }
  }
  return [...out];
}

/**
 * Merges the grants of several obligations: the call may use only what every one of them grants (an absent
 * list grants nothing, so it empties the merged list).
 *
 * @param list - grants of the policy default and the matched rules.
 * @returns the frozen intersection, or `undefined` when none of them grants.
 */
export function mergeGrants(list: readonly (IsolationGrants | undefined)[]): IsolationGrants | undefined {
  let read: string[] | undefined;
  let write: string[] | undefined;
  let egress: string[] | undefined;
  let any = false;
  for (const g of list) {
    if (g === undefined) continue;
    const r = g.read ?? [];
    const w = g.write ?? [];
    const e = g.egress ?? [];
    read = read === undefined ? [...r] : intersectPaths(read, r);
    write = write === undefined ? [...w] : intersectPaths(write, w);
    egress = egress === undefined ? [...e] : intersectEgress(egress, e);
    any = true;
  }
  if (!any) return undefined;
  return Object.freeze({
    read: Object.freeze(read ?? []),
    write: Object.freeze(write ?? []),
    egress: Object.freeze(egress ?? []),
  });
}

/**
 * What of a runner's configuration the grants do not cover, as `read:<path>`, `write:<path>` and
 * `egress:<host>:<port>` items (empty when the runner stays within them). A runner path that is not an
 * absolute path without `*` is never within a grant.
 *
 * @param runner - what the sandbox runner was configured with (its mark).
 * @param grants - what the policy grants the call.
 * @returns the items exceeding the grants, at most 16, in configuration order.
 */
export function grantsExceeded(runner: RunnerGrants, grants: IsolationGrants): readonly string[] {
  const out: string[] = [];
  const paths = (kind: 'read' | 'write', configured: readonly string[], granted: readonly string[]) => {
    for (const raw of configured) {
      const path = normaliseGrantPath(raw);
      if (path === undefined || !granted.some((dir) => within(path, dir))) out.push(`${kind}:${raw}`);
    }
  };
  paths('read', runner.read, grants.read ?? []);
  paths('write', runner.write, grants.write ?? []);
  const egress = (grants.egress ?? []).map(splitEgress);
  for (const rule of runner.egress) {
    for (const port of rule.ports) {
      if (!egress.some((g) => g.port === port && hostCovers(g.host, rule.host)))
        out.push(`egress:${rule.host}:${port}`);
    }
  }
  return Object.freeze(out.slice(0, 16));
}
