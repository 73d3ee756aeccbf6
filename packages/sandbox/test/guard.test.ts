import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { auditSandboxEvents } from '../src/audit.js';
import { sandboxed } from '../src/sandboxed.js';

describe('composed with guard()', () => {
  it('the guard decides and audits; the sandbox runs the decided args and audits its own failures', async () => {
    const identity = createIdentity({ name: 'sandbox-test' });
    const sink = createMemorySink();
    const audit = createAuditLog({ sink });
    const ag = createGuard({
      identity,
      policy: { version: 1, rules: [{ id: 'echo', effect: 'allow', tools: ['echo', 'loop'] }] },
      audit,
    });
    const onEvent = auditSandboxEvents({ log: audit, signer: identity });
    const echo = sandboxed({ tool: 'echo', module: new URL('./fixtures/echo.mjs', import.meta.url), onEvent });
    const loop = sandboxed({
      tool: 'loop',
      module: new URL('./fixtures/escapes.mjs', import.meta.url),
      export: 'infiniteLoop',
      deadlineMs: 300,
      warm: 0,
      onEvent,
    });
    try {
      const echoTool = ag.guard({ name: 'echo', schema: z.object({ n: z.number() }), execute: echo.execute });
      const loopTool = ag.guard({ name: 'loop', schema: z.object({}), execute: loop.execute });
      await expect(echoTool({ n: 1 }, { callId: 'g-1' })).resolves.toEqual({ args: { n: 1 }, callId: 'g-1' });
      await expect(loopTool({}, { callId: 'g-2' })).rejects.toBeDefined();
      const denied = ag.guard({ name: 'other', schema: z.object({}), execute: echo.execute });
      await expect(denied({})).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
      await new Promise((r) => setTimeout(r, 50));
      await audit.close();
      const text = sink.lines.join('\n') + (sink.lines.length > 0 ? '\n' : '');
      expect(verifyLog(text, { trust: [identity.id] }).ok).toBe(true);
      const records = sink.lines.map(
        (l) => JSON.parse(l) as { type: string; callId: string; data?: Record<string, unknown> },
      );
      // The killed call has exactly one outcome, the guard's own, naming the sandbox's reason.
      const outcomes = records.filter((r) => r.callId === 'g-2' && r.type !== 'call.requested');
      expect(outcomes).toEqual([expect.objectContaining({ type: 'call.failed' })]);
      expect(JSON.stringify(outcomes[0]?.data)).toMatch(/deadline/i);
    } finally {
      await echo.close();
      await loop.close();
    }
  });
});

describe('sandboxed tools called without the guard', () => {
  it('refuse a call context without callId and agent strings, and still run a good call after', async () => {
    const echo = sandboxed({ tool: 'echo', module: new URL('./fixtures/echo.mjs', import.meta.url) });
    try {
      for (const ctx of [{ callId: 'c1' }, { agent: 'a' }, { callId: 'c1', agent: 5 }, null, undefined]) {
        await expect(echo.execute({ x: 1 }, ctx as never)).rejects.toMatchObject({ code: 'ERR_SANDBOX_BAD_VALUE' });
      }
      await expect(echo.execute({ x: 1 }, { callId: 'c2', agent: 'did:key:z6Mk' })).resolves.toBeDefined();
    } finally {
      await echo.close();
    }
  });
});
