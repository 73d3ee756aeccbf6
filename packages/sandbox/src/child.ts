import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrokerEndpoint } from './broker.js';
import { CHILD_SOURCE } from './child-source.js';
import { permissionFlag, systemMounts } from './platform.js';

/** The limits and grants one sandboxed process starts with (normalised by the runner). */
export interface ChildSpec {
  readonly module: string;
  readonly exportName: string;
  readonly isolation: 'process' | 'bwrap';
  readonly readPaths: readonly string[];
  readonly writePaths: readonly string[];
  readonly memoryMb: number;
  readonly bwrapPath: string;
}

/** A spawned sandbox process and the path its broker socket has inside it. */
export interface SpawnedChild {
  readonly proc: ChildProcess;
  readonly endpoint: BrokerEndpoint;
}

const SOCKET_IN_SANDBOX = '/run/agentguard/egress.sock';

/** A module given as a path or file URL, as an absolute path. */
export function modulePath(module: string): string {
  return module.startsWith('file:') ? fileURLToPath(module) : resolvePath(module);
}

function nodeArgs(
  spec: ChildSpec,
  brokerPath: string,
  ca: string | undefined,
): { args: string[]; env: Record<string, string> } {
  const flag = permissionFlag();
  if (flag === undefined) throw new Error('no Node permission model');
  const args = [
    flag,
    ...spec.readPaths.map((p) => `--allow-fs-read=${p}`),
    ...spec.writePaths.map((p) => `--allow-fs-write=${p}`),
    `--max-old-space-size=${spec.memoryMb}`,
    '--disallow-code-generation-from-strings',
    '--no-warnings',
    '--input-type=module',
    '--eval',
    CHILD_SOURCE,
  ];
  // `ca`: the broker's CA certificate (never its key), trusted by the child's HTTPS agent in addition to its roots.
  const cfg = { module: pathToFileURL(spec.module).href, export: spec.exportName, broker: brokerPath, ca };
  // A clean environment: the parent's secrets never reach the tool.
  return { args, env: { AGENTGUARD_SANDBOX: JSON.stringify(cfg), PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } };
}

function bwrapArgs(spec: ChildSpec, endpoint: BrokerEndpoint, node: string[]): string[] {
  const ro = [...new Set([...systemMounts(), ...spec.readPaths])];
  return [
    '--unshare-all', // mount, PID, network, IPC, UTS, user (and cgroup) namespaces: only loopback inside
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/run',
    ...ro.flatMap((p) => ['--ro-bind-try', p, p]),
    ...spec.writePaths.flatMap((p) => ['--bind-try', p, p]),
    '--bind',
    endpoint.path,
    SOCKET_IN_SANDBOX,
    '--chdir',
    dirname(spec.module),
    '--',
    process.execPath,
    ...node,
  ];
}

/**
 * Starts one sandboxed process for `spec`: Node with the permission model (only `readPaths` readable,
 * only `writePaths` writable, no child processes, workers, addons, WASI or inspector), a heap cap, a
 * clean environment, its own process group, and, for `bwrap`, its own namespaces.
 */
export function spawnChild(spec: ChildSpec, endpoint: BrokerEndpoint, ca?: string): SpawnedChild {
  const inside = spec.isolation === 'bwrap' ? SOCKET_IN_SANDBOX : endpoint.path;
  const { args, env } = nodeArgs(spec, inside, ca);
  const [cmd, argv] =
    spec.isolation === 'bwrap' ? [spec.bwrapPath, bwrapArgs(spec, endpoint, args)] : [process.execPath, args];
  const proc = spawn(cmd, argv, {
    env,
    cwd: dirname(spec.module),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so one kill reaches everything it started
  });
  return { proc, endpoint };
}

/** SIGKILLs the child's whole process group (and so a bwrap namespace). */
export function killChild(proc: ChildProcess): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    proc.kill('SIGKILL');
  }
}
