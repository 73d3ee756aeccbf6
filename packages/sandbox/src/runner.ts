import type { ChildProcess } from 'node:child_process';
import { canonicalize } from '@agentguard/statement';
import { createEgressBroker, type EgressBroker, type EgressRecord } from './broker.js';
import { killChild } from './child.js';
import { armDeadline } from './deadline.js';
import { killSlot, type Slot, startSlot } from './slot.js';
import { SandboxError, type SandboxErrorCode } from './errors.js';
import { treeRss } from './platform.js';
import type { NormalRunnerOptions } from './options.js';

/** What the sandbox reports: each failed or killed call, and each egress connection. */
export type SandboxEvent =
  | {
      readonly type: 'sandbox.failed';
      readonly tool: string;
      readonly callId: string;
      readonly agent: string;
      readonly code: SandboxErrorCode;
      readonly detail: string;
      /** Whether the process was killed (deadline, memory, output, abort) rather than the tool throwing. */
      readonly killed: boolean;
    }
  | ({ readonly type: 'sandbox.egress'; readonly agent: string } & EgressRecord);

/** Who is calling: the guard's `ToolContext` fits. */
export interface CallContext {
  readonly callId: string;
  readonly agent: string;
  readonly signal?: AbortSignal;
}

/** A warm pool of sandboxed processes for one tool module. */
export interface Runner {
  /** Runs the tool with `args` (plain JSON; sent as canonical JSON) and resolves with its JSON result. */
  run(args: unknown, ctx: CallContext): Promise<unknown>;
  /** Kills every process and closes the broker. Idempotent. */
  close(): Promise<void>;
}

const OOM = /heap out of memory|Allocation failed|JavaScript heap/;
/** How long a process that exited on its own may take to hand over the rest of its stderr. */
const STDERR_DRAIN_MS = 250;

/** @internal Resolves once the child's stderr has ended (all of it read), or after `ms`, whichever is first. */
export function stderrDrained(proc: Pick<ChildProcess, 'stderr'>, ms: number): Promise<void> {
  const err = proc.stderr;
  if (err === null || err.readableEnded || err.destroyed) return Promise.resolve();
  return new Promise((ok) => {
    const timer = setTimeout(ok, ms);
    const done = () => {
      clearTimeout(timer);
      ok();
    };
    err.once('end', done);
    err.once('close', done);
  });
}

/** Creates a {@link Runner}; `options` are already normalised (see `sandboxed`). */
export function createRunner(o: NormalRunnerOptions): Runner {
  let agent = '';
  const broker: EgressBroker = createEgressBroker({
    tool: o.tool,
    policy: o.egress,
    ...(o.resolve ? { resolve: o.resolve } : {}),
    ...(o.connect ? { connect: o.connect } : {}),
    tls: o.tls,
    onRecord: (r) => o.onEvent({ type: 'sandbox.egress', agent, ...r }),
  });
  const pool: Promise<Slot>[] = [];
  let closed = false;
  let nextId = 1;

  const start = () => startSlot(o, broker);

  function refill(): void {
    while (!closed && pool.length < o.warm) {
      const p = start();
      p.catch(() => {});
      pool.push(p);
    }
  }

  function take(): Promise<Slot> {
    return pool.shift() ?? start();
  }

  function settle(slot: Slot, ok: boolean): void {
    if (!ok || !o.reuse || closed) killChild(slot.proc);
    else pool.push(Promise.resolve(slot));
    refill();
  }

  async function run(args: unknown, ctx: CallContext): Promise<unknown> {
    if (closed) throw new SandboxError('ERR_SANDBOX_CLOSED', 'the sandbox runner is closed');
    let argsJson: string;
    try {
      argsJson = canonicalize(args);
    } catch (e) {
      throw new SandboxError('ERR_SANDBOX_BAD_VALUE', 'arguments are not plain JSON', { cause: e });
    }
    // The context crosses to the child as JSON text: anything but two short strings would make a line the child
    // cannot read (a crash blamed on the tool), so it is refused here, as bad arguments are.
    if (
      typeof ctx !== 'object' ||
      ctx === null ||
      typeof ctx.callId !== 'string' ||
      typeof ctx.agent !== 'string' ||
      ctx.callId.length > 1024 ||
      ctx.agent.length > 1024
    ) {
      throw new SandboxError(
        'ERR_SANDBOX_BAD_VALUE',
        'the call context needs "callId" and "agent" strings (the guard passes its ToolContext)',
      );
    }
    agent = ctx.agent;
    const report = (code: SandboxErrorCode, detail: string, killed: boolean) =>
      o.onEvent({ type: 'sandbox.failed', tool: o.tool, callId: ctx.callId, agent: ctx.agent, code, detail, killed });
    let slot: Slot;
    try {
      slot = await take();
    } catch (e) {
      const err =
        e instanceof SandboxError
          ? e
          : new SandboxError('ERR_SANDBOX_UNAVAILABLE', 'cannot start the sandbox', { cause: e });
      report(err.code, err.message, false);
      throw err;
    }
    try {
      await slot.ready;
    } catch (e) {
      settle(slot, false);
      const err = e as SandboxError;
      report(err.code, err.message, false);
      throw err;
    }
    slot.endpoint.setCall(ctx.callId);
    const id = nextId++;
    const proc: ChildProcess = slot.proc;
    const outcome = await new Promise<
      { ok: true; value: unknown } | { ok: false; code: SandboxErrorCode; detail: string; killed: boolean }
    >((done) => {
      const late: [SandboxErrorCode, string] = ['ERR_SANDBOX_DEADLINE', `ran past its ${o.deadlineMs} ms deadline`];
      // Armed before the call is written: the killer thread SIGKILLs on time even if this thread is busy.
      const dl = armDeadline(proc.pid ?? 0, o.deadlineMs);
      const kill = (code: SandboxErrorCode, detail: string) => {
        if (!dl.claimKill()) {
          if (!dl.killed) return; // the call already finished
          [code, detail] = slot.failure ?? late; // the killer thread got there first: it was the deadline
        }
        killSlot(slot, code, detail);
      };
      const deadline = setTimeout(() => kill(...late), o.deadlineMs);
      const watchdog = setInterval(() => {
        const rss = treeRss(proc.pid ?? 0);
        if (rss > o.maxRssMb * 1048576)
          kill('ERR_SANDBOX_MEMORY', `resident memory ${Math.round(rss / 1048576)} MB over ${o.maxRssMb} MB`);
      }, o.watchdogMs);
      const onAbort = () => kill('ERR_SANDBOX_ABORTED', 'the caller aborted the call');
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (r: Parameters<typeof done>[0]) => {
        dl.claimFinish(); // disarms the killer thread's timer, whatever the outcome
        clearTimeout(deadline);
        clearInterval(watchdog);
        ctx.signal?.removeEventListener('abort', onAbort);
        proc.off('exit', onExit);
        slot.lines = undefined;
        slot.killed = undefined;
        done(r);
      };
      let settled = false;
      const settleExit = () => {
        if (settled) return; // a kill while stderr was draining settled it first
        settled = true;
        const [code, detail] =
          slot.failure ??
          (OOM.test(slot.stderrTail)
            ? ['ERR_SANDBOX_MEMORY', 'the tool ran out of heap']
            : ['ERR_SANDBOX_CRASHED', `the sandbox process exited (${String(proc.exitCode ?? proc.signalCode)})`]);
        finish({ ok: false, code, detail, killed: slot.failure !== undefined });
      };
      const onExit = () => {
        if (dl.killed) slot.failure ??= late; // the killer thread's SIGKILL, reaped before this thread's timer ran
        slot.lines = undefined; // nothing the process sends after its exit is a result
        if (slot.failure !== undefined) return settleExit();
        // 'exit' may come before the last of stderr is read: V8's out-of-memory report may still be in the pipe,
        // and without it a heap bomb would be reported as a crash. A kill meanwhile (the deadline) settles first.
        void stderrDrained(proc, STDERR_DRAIN_MS).then(settleExit);
      };
      proc.once('exit', onExit);
      slot.killed = onExit;
      slot.lines = (line) => {
        let msg: { id?: unknown; ok?: unknown; value?: unknown; message?: unknown };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return kill('ERR_SANDBOX_BAD_VALUE', 'the sandbox sent a malformed message');
        }
        if (msg.id !== id) return kill('ERR_SANDBOX_BAD_VALUE', 'the sandbox answered another call');
        // An answer that loses the race with the deadline is refused: that process is being killed.
        if (!dl.claimFinish()) return kill(...late);
        if (msg.ok === true) finish({ ok: true, value: msg.value });
        else
          finish({
            ok: false,
            code: 'ERR_SANDBOX_TOOL_FAILED',
            detail: String(msg.message).slice(0, 1000),
            killed: false,
          });
      };
      if (ctx.signal?.aborted) return onAbort();
      proc.stdin?.write(
        `{"id":${id},"callId":${JSON.stringify(ctx.callId)},"agent":${JSON.stringify(ctx.agent)},"args":${argsJson}}\n`,
      );
    });
    if (!outcome.ok) {
      settle(slot, false);
      report(outcome.code, outcome.detail, outcome.killed);
      throw new SandboxError(outcome.code, `tool "${o.tool}": ${outcome.detail}`);
    }
    settle(slot, true);
    return outcome.value;
  }

  refill();
  return Object.freeze({
    run,
    async close() {
      if (closed) return;
      closed = true;
      const slots = await Promise.allSettled(pool);
      for (const s of slots) if (s.status === 'fulfilled') killChild(s.value.proc);
      pool.length = 0;
      await broker.close();
    },
  });
}
