import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { armDeadline } from '../src/deadline.js';
import { SandboxError } from '../src/errors.js';
import type { SandboxEvent } from '../src/runner.js';
import { sandboxed } from '../src/sandboxed.js';

const MODULE = new URL('./fixtures/escapes.mjs', import.meta.url);
const ctx = { callId: 'call-deadline', agent: 'did:key:test' };

/** State letters (R, S, Z…) of this process's children, from /proc (Linux). */
function childStates(): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid) out.push(fields[0] ?? '?');
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

describe('deadline', () => {
  it.runIf(process.platform === 'linux')(
    'kills the process group even while the agent thread is blocked, then rejects when it runs again',
    async () => {
      const events: SandboxEvent[] = [];
      const tool = sandboxed({
        tool: 'loop',
        module: MODULE,
        export: 'infiniteLoop',
        deadlineMs: 50,
        warm: 1,
        onEvent: (e) => events.push(e),
      });
      try {
        // A first call starts the killer thread and warms the pool, so only the blocked case is measured below.
        await tool.execute({}, ctx).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1500));
        const call = tool.execute({}, ctx).then(
          () => undefined,
          (e: unknown) => e,
        );
        await new Promise((r) => setImmediate(r)); // the call is written to the child
        // Block this thread (no timer, exit or I/O callback runs here) until the looping child is a zombie:
        // killed by the killer thread, not yet reaped by this one. Bounded at 10 s, far past the 50 ms deadline.
        const until = Date.now() + 10_000;
        let states = childStates();
        while (!states.includes('Z') && Date.now() < until) states = childStates();
        expect(states).toContain('Z');
        const err = await call;
        expect(err).toBeInstanceOf(SandboxError);
        expect((err as SandboxError).code).toBe('ERR_SANDBOX_DEADLINE');
        expect(events.filter((e) => e.type === 'sandbox.failed').at(-1)).toMatchObject({
          code: 'ERR_SANDBOX_DEADLINE',
          killed: true,
        });
      } finally {
        await tool.close();
      }
    },
    20_000,
  );

  it('settles a call exactly once: kill and answer cannot both win', () => {
    const a = armDeadline(0, 60_000);
    expect(a.claimFinish()).toBe(true);
    expect(a.claimKill()).toBe(false);
    expect(a.killed).toBe(false);
    const b = armDeadline(0, 60_000);
    expect(b.claimKill()).toBe(true);
    expect(b.claimFinish()).toBe(false);
    expect(b.killed).toBe(true);
  });
});
