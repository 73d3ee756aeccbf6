import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { bwrapAvailable } from '../src/platform.js';
import { sandboxed } from '../src/sandboxed.js';

/**
 * The `isolation` obligation of a policy, end to end through guard(): a sandbox runner's execute says what it
 * runs with, the guard checks it against the policy, and the call really runs in a separate process.
 */

const module = new URL('./fixtures/echo.mjs', import.meta.url);
type Rec = { type: string; callId: string; data: Record<string, unknown> };

function setup(isolation: 'process' | 'bwrap') {
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'isolation-test' }),
    policy: {
      version: 1,
      rules: [{ id: 'needs-sandbox', effect: 'allow', tools: ['where'], obligations: { isolation } }],
    },
    audit: createAuditLog({ sink }),
  });
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type.startsWith('call.'));
  return { ag, records };
}

describe('isolation obligation through guard()', () => {
  it("a process runner meets 'process': the call runs in another process under the permission model", async () => {
    const { ag, records } = setup('process');
    const runner = sandboxed({ tool: 'where', module, export: 'whereAmI', warm: 0 });
    try {
      const where = ag.guard({ name: 'where', schema: z.object({}), isolation: 'process', execute: runner.execute });
      const ran = (await where({}, { callId: 'iso-1' })) as { pid: number; permission: boolean };
      expect(ran.pid).not.toBe(process.pid);
      expect(ran.permission).toBe(true);
      const completed = records().find((r) => r.callId === 'iso-1' && r.type === 'call.completed');
      expect(completed?.data.decision).toMatchObject({
        isolation: { actual: 'process', required: 'process', met: true },
      });
    } finally {
      await runner.close();
    }
  });

  it("an in-process function under 'process' is refused, and never runs", async () => {
    const { ag, records } = setup('process');
    const execute = vi.fn(() => ({ pid: process.pid }));
    const where = ag.guard({ name: 'where', schema: z.object({}), execute });
    await expect(where({}, { callId: 'iso-2' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(execute).not.toHaveBeenCalled();
    const denied = records().find((r) => r.callId === 'iso-2' && r.type === 'call.denied');
    expect(denied?.data).toMatchObject({
      code: 'ERR_GUARD_ISOLATION_REQUIRED',
      decision: { isolation: { actual: 'none', required: 'process', met: false } },
    });
  });

  it("a process runner under 'bwrap' is refused before it starts a process", async () => {
    const { ag } = setup('bwrap');
    const runner = sandboxed({ tool: 'where', module, export: 'whereAmI', warm: 0 });
    try {
      const where = ag.guard({ name: 'where', schema: z.object({}), execute: runner.execute });
      await expect(where({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    } finally {
      await runner.close();
    }
  });

  it('a wrapped runner loses its mark: declaring it sandboxed is refused when it is guarded', async () => {
    const { ag } = setup('process');
    const runner = sandboxed({ tool: 'where', module, export: 'whereAmI', warm: 0 });
    try {
      expect(() =>
        ag.guard({
          name: 'where',
          schema: z.object({}),
          isolation: 'process',
          execute: (args, ctx) => runner.execute(args, ctx),
        }),
      ).toThrow(TypeError);
      expect(Object.isFrozen(runner.execute)).toBe(true);
    } finally {
      await runner.close();
    }
  });

  const bwrap = bwrapAvailable();
  it.runIf(bwrap.ok)("a bwrap runner meets 'bwrap' (only where bubblewrap works)", async () => {
    const { ag, records } = setup('bwrap');
    const runner = sandboxed({ tool: 'where', module, export: 'whereAmI', isolation: 'bwrap', warm: 0 });
    try {
      const where = ag.guard({ name: 'where', schema: z.object({}), isolation: 'bwrap', execute: runner.execute });
      const ran = (await where({}, { callId: 'iso-3' })) as { pid: number };
      // In its own PID namespace the tool sees itself as a low pid, never the agent's.
      expect(ran.pid).not.toBe(process.pid);
      const completed = records().find((r) => r.callId === 'iso-3' && r.type === 'call.completed');
      expect(completed?.data.decision).toMatchObject({ isolation: { actual: 'bwrap', required: 'bwrap', met: true } });
    } finally {
      await runner.close();
    }
  });
});
