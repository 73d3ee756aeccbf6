import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import { modulePath } from './child.js';
import type { EgressPolicy } from './egress-policy.js';
import { normaliseUpstreamTls, type UpstreamTls } from './intercept.js';
import { SandboxError } from './errors.js';
import { bwrapAvailable, permissionFlag } from './platform.js';
import type { SandboxEvent } from './runner.js';

/** Options of {@link sandboxed}: what the tool is, where it may read, write and connect, and its limits. */
export interface SandboxOptions {
  /** The tool's module: an absolute path or a file URL. */
  readonly module: string | URL;
  /** @default 'default' */
  readonly export?: string;
  /** The tool name, as in guard() and the audit log. */
  readonly tool: string;
  /**
   * `process`: a Node child with the permission model. `bwrap`: the same inside bubblewrap with its own
   * mount, PID and network namespaces (Linux). `none` is not accepted here: run the tool in-process instead.
   * @default 'process'
   */
  readonly isolation?: 'process' | 'bwrap';
  /** Readable paths. @default [the module's folder] */
  readonly readPaths?: readonly string[];
  /** Writable paths. @default [] */
  readonly writePaths?: readonly string[];
  /** V8 heap cap in MB (`--max-old-space-size`). @default 128 */
  readonly memoryMb?: number;
  /** Resident memory cap in MB of the whole process tree, checked by a watchdog. @default memoryMb + 96 */
  readonly maxRssMb?: number;
  /** How often the watchdog checks, in ms. @default 20 */
  readonly watchdogMs?: number;
  /** Milliseconds a call may run before its process is SIGKILLed. @default 10_000 */
  readonly deadlineMs?: number;
  /** Bytes the tool may write to stdout and stderr together, per process. @default 65_536 */
  readonly maxOutputBytes?: number;
  /** Bytes of the JSON result. @default 1_048_576 */
  readonly maxResultBytes?: number;
  /** Processes kept started and loaded, ready for the next call. @default 1 */
  readonly warm?: number;
  /**
   * RELAXED: reuse a process for later calls after a successful one (faster; calls can then see what
   * earlier calls left in memory). @default false (a fresh process per call)
   */
  readonly reuse?: boolean;
  /** The tool's egress: allowed hosts and ports, credential injection. @default {} (none) */
  readonly egress?: EgressPolicy;
  /** Broker DNS resolver (inject a stub in tests). @default dns.promises.lookup */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  /** Broker upstream connector (inject a spy in tests). @default net.connect */
  readonly connect?: (address: string, port: number) => Socket;
  /**
   * How the broker verifies the servers of hosts with `inject` (it terminates the tool's TLS and connects
   * to them itself): `ca` replaces Node's bundled roots, e.g. for a private CA. @default {}
   */
  readonly tls?: UpstreamTls;
  /** Receives every failure and egress record (see `auditSandboxEvents`). @default none */
  readonly onEvent?: (event: SandboxEvent) => void;
  /** The bubblewrap binary. @default 'bwrap' */
  readonly bwrapPath?: string;
}

/** {@link SandboxOptions} after defaults and checks. */
export interface NormalRunnerOptions {
  readonly module: string;
  readonly exportName: string;
  readonly tool: string;
  readonly isolation: 'process' | 'bwrap';
  readonly readPaths: readonly string[];
  readonly writePaths: readonly string[];
  readonly memoryMb: number;
  readonly maxRssMb: number;
  readonly watchdogMs: number;
  readonly deadlineMs: number;
  readonly maxOutputBytes: number;
  readonly maxResultBytes: number;
  readonly warm: number;
  readonly reuse: boolean;
  readonly egress: EgressPolicy;
  readonly resolve: ((host: string) => Promise<readonly string[]>) | undefined;
  readonly connect: ((address: string, port: number) => Socket) | undefined;
  readonly tls: UpstreamTls;
  readonly onEvent: (event: SandboxEvent) => void;
  readonly bwrapPath: string;
}

function int(value: unknown, name: string, fallback: number, min: number, max: number): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new RangeError(`"${name}" expected an integer in ${min}..${max}, got ${String(value)}`);
  }
  return n;
}

function paths(value: unknown, name: string, fallback: readonly string[]): readonly string[] {
  const v = value ?? fallback;
  if (!Array.isArray(v) || !v.every((p) => typeof p === 'string' && p.startsWith('/') && !p.includes('\0'))) {
    throw new TypeError(`"${name}" expected absolute paths`);
  }
  return Object.freeze([...(v as string[])]);
}

/**
 * Validates and freezes {@link SandboxOptions}.
 * @throws TypeError / RangeError on misuse; SandboxError `ERR_SANDBOX_UNAVAILABLE` when the runner cannot run here.
 */
export function normaliseOptions(options: SandboxOptions): NormalRunnerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  if (typeof options.tool !== 'string' || options.tool === '') throw new TypeError('"tool" expected a tool name');
  if (!(typeof options.module === 'string' || options.module instanceof URL))
    throw new TypeError('"module" expected a path or file URL');
  const module = modulePath(String(options.module));
  const isolation = options.isolation ?? 'process';
  if (isolation !== 'process' && isolation !== 'bwrap')
    throw new TypeError(`"isolation" expected 'process' or 'bwrap', got ${String(isolation)}`);
  if (permissionFlag() === undefined)
    throw new SandboxError('ERR_SANDBOX_UNAVAILABLE', `Node ${process.version} has no permission model`);
  const bwrapPath = options.bwrapPath ?? 'bwrap';
  if (isolation === 'bwrap') {
    const b = bwrapAvailable(bwrapPath);
    if (!b.ok) throw new SandboxError('ERR_SANDBOX_UNAVAILABLE', b.reason);
  }
  const memoryMb = int(options.memoryMb, 'memoryMb', 128, 16, 65536);
  return Object.freeze({
    module,
    exportName: options.export ?? 'default',
    tool: options.tool,
    isolation,
    readPaths: paths(options.readPaths, 'readPaths', [dirname(module)]),
    writePaths: paths(options.writePaths, 'writePaths', []),
    memoryMb,
    maxRssMb: int(options.maxRssMb, 'maxRssMb', memoryMb + 96, 32, 1 << 20),
    watchdogMs: int(options.watchdogMs, 'watchdogMs', 20, 5, 10_000),
    deadlineMs: int(options.deadlineMs, 'deadlineMs', 10_000, 1, 24 * 3600 * 1000),
    maxOutputBytes: int(options.maxOutputBytes, 'maxOutputBytes', 65_536, 0, 1 << 30),
    maxResultBytes: int(options.maxResultBytes, 'maxResultBytes', 1_048_576, 16, 1 << 30),
    warm: int(options.warm, 'warm', 1, 0, 64),
    reuse: options.reuse === true,
    egress: options.egress ?? {},
    resolve: options.resolve,
    connect: options.connect,
    tls: normaliseUpstreamTls(options.tls),
    onEvent: options.onEvent ?? (() => {}),
    bwrapPath,
  });
}
