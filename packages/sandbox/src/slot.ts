import type { EgressBroker } from './broker.js';
import { killChild, type SpawnedChild, spawnChild } from './child.js';
import { SandboxError, type SandboxErrorCode } from './errors.js';
import type { NormalRunnerOptions } from './options.js';

/** One sandboxed process in the pool, with what the runner tracks about it. */
export interface Slot extends SpawnedChild {
  readonly ready: Promise<void>;
  lines: ((line: string) => void) | undefined;
  output: number;
  stderrTail: string;
  failure: [SandboxErrorCode, string] | undefined;
  /** Set while a call runs: settles it the moment the process group is killed. */
  killed: (() => void) | undefined;
}

/**
 * SIGKILLs a slot's process group and shuts its broker endpoint, then settles the running call at once.
 * A SIGKILLed process runs no more code, so the call does not wait for the exit to be reaped (under load that
 * wait, not the kill, was most of the deadline-to-rejection time); the endpoint closing first means no egress
 * can follow the kill either.
 */
export function killSlot(slot: Slot, code: SandboxErrorCode, detail: string): void {
  slot.failure ??= [code, detail];
  killChild(slot.proc);
  void slot.endpoint.close();
  slot.killed?.();
}

/**
 * Starts one sandboxed process with its own broker endpoint, and wires its output: stdout/stderr counted
 * (a flood kills it), results read line by line from fd 3 (too large a result kills it), and `ready`
 * settled by its first line.
 */
export async function startSlot(o: NormalRunnerOptions, broker: EgressBroker): Promise<Slot> {
  const endpoint = await broker.open();
  const child = spawnChild(o, endpoint, broker.caCertificate);
  const slot: Slot = {
    ...child,
    ready: Promise.resolve(),
    lines: undefined,
    output: 0,
    stderrTail: '',
    failure: undefined,
    killed: undefined,
  };
  const proc = child.proc;
  const fail = (code: SandboxErrorCode, detail: string) => killSlot(slot, code, detail);
  const count = (c: Buffer, isErr: boolean) => {
    slot.output += c.length;
    if (isErr) slot.stderrTail = (slot.stderrTail + c.toString('utf8')).slice(-2048);
    if (slot.output > o.maxOutputBytes)
      fail('ERR_SANDBOX_OUTPUT', `wrote more than ${o.maxOutputBytes} bytes to stdout/stderr`);
  };
  proc.stdout?.on('data', (c: Buffer) => count(c, false));
  proc.stderr?.on('data', (c: Buffer) => count(c, true));
  proc.stdin?.on('error', () => {});
  let buf = '';
  const fd3 = proc.stdio[3] as NodeJS.ReadableStream | null;
  fd3?.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    if (buf.length > o.maxResultBytes)
      return fail('ERR_SANDBOX_OUTPUT', `result larger than ${o.maxResultBytes} bytes`);
    let nl = buf.indexOf('\n');
    while (nl !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      slot.lines?.(line);
      nl = buf.indexOf('\n');
    }
  });
  (slot as { ready: Promise<void> }).ready = new Promise<void>((ok, no) => {
    slot.lines = (line) => {
      slot.lines = undefined;
      if (line.includes('"ready":true')) ok();
      else no(new SandboxError('ERR_SANDBOX_CRASHED', line.slice(0, 600)));
    };
    proc.once('exit', () =>
      no(
        new SandboxError(
          'ERR_SANDBOX_CRASHED',
          `sandbox process exited while starting: ${slot.stderrTail.slice(-300)}`,
        ),
      ),
    );
    proc.once('error', (e) =>
      no(new SandboxError('ERR_SANDBOX_UNAVAILABLE', `cannot start the sandbox: ${e.message}`, { cause: e })),
    );
  });
  slot.ready.catch(() => {});
  proc.once('exit', () => void endpoint.close());
  return slot;
}
