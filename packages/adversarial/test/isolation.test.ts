/**
 * Invariant: a policy that requires isolation (`obligations.isolation`) is never met by a tool that runs with
 * less, whichever way the call comes: a plain run, `check()` then run (the kept decision), a refusal through a
 * framework, throughput mode (`signing: 'batched'`), a policy swapped between check and run, or a spec that
 * claims a level its function does not have. Under a policy in monitor mode the call runs, and its record says
 * the obligation would have refused it.
 */
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, GUARD_ERROR_CODES } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { sandboxed } from '@agentguard/sandbox';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

type Rec = { type: string; callId: string; data: Record<string, unknown> };
const requireProcess: PolicyDocument = {
  version: 1,
  rules: [{ id: 'net', effect: 'allow', tools: ['fetch_page'], obligations: { isolation: 'process' } }],
};

function setup(policy: PolicyDocument = requireProcess) {
  const sink = createMemorySink();
  const audit = createAuditLog({
    sink,
    checkpoint: { signer: createIdentity({ name: 'log' }), everyRecords: 100, everyMs: 0 },
  });
  const ag = createGuard({ identity: createIdentity({ name: 'agent' }), policy, audit });
  const execute = vi.fn(() => 'ran in the agent process');
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type.startsWith('call.'));
  return { ag, execute, records };
}

describe('an isolation obligation cannot be bypassed', () => {
  it('by check() first: the check says deny, and neither the kept decision nor a fresh one runs the tool', async () => {
    const { ag, execute } = setup();
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({ url: z.string() }), execute });
    const args = { url: 'https://a.example' };
    await expect(tool.check(args, { callId: 'k1' })).resolves.toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_ISOLATION_REQUIRED',
    });
    await expect(tool(args, { callId: 'k1' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    await expect(tool(args, { callId: 'k2' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('by a decision kept under a policy without the obligation: a swapped policy decides again', async () => {
    const { ag, execute } = setup({ version: 1, rules: [{ id: 'net', effect: 'allow', tools: ['fetch_page'] }] });
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute });
    await expect(tool.check({}, { callId: 's1' })).resolves.toMatchObject({ effect: 'allow' });
    await ag.setPolicy(requireProcess);
    await expect(tool({}, { callId: 's1' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('by a refusal through a framework: the call stays refused', async () => {
    const { ag, execute } = setup();
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute });
    await tool.refuse({}, { callId: 'r1', reason: 'user said no' });
    const outcome = await tool.safeRun({}, { callId: 'r1' });
    expect(outcome.ok).toBe(false);
    expect(execute).not.toHaveBeenCalled();
  });

  it('by throughput mode', async () => {
    const { ag, execute, records } = setup();
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), signing: 'batched', execute });
    await expect(tool({}, { callId: 'b1' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(execute).not.toHaveBeenCalled();
    expect(records().find((r) => r.callId === 'b1' && r.type === 'call.denied')).toBeDefined();
  });

  it('by a spec that claims a level: a plain function, a wrapper, a copy, or a getter that swaps functions', async () => {
    const { ag, execute } = setup();
    const runner = sandboxed({
      tool: 'fetch_page',
      module: new URL('./isolation-fixture.mjs', import.meta.url),
      warm: 0,
    });
    try {
      const schema = z.object({});
      const claims: unknown[] = [
        execute,
        (a: unknown, c: never) => runner.execute(a, c),
        runner.execute.bind(null),
        Object.assign(() => 'copy', runner.execute),
      ];
      for (const fn of claims) {
        expect(() => ag.guard({ name: 'fetch_page', schema, isolation: 'process', execute: fn as never })).toThrow(
          TypeError,
        );
      }
      // A getter answering the runner first, a plain function after: what is judged is what runs.
      let reads = 0;
      const spec = {
        name: 'fetch_page',
        schema,
        get execute() {
          reads += 1;
          return reads === 1 ? runner.execute : execute;
        },
      };
      const tool = ag.guard(spec);
      await expect(tool({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
      expect(execute).not.toHaveBeenCalled();
      // The runner itself meets it, and really runs out of this process.
      const real = ag.guard({ name: 'fetch_page', schema, isolation: 'process', execute: runner.execute });
      await expect(real({})).resolves.toMatchObject({ outside: true });
    } finally {
      await runner.close();
    }
  });

  it('in monitor mode the call runs, and the record says the obligation would have refused it', async () => {
    const { ag, execute, records } = setup({ ...requireProcess, mode: 'monitor' });
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute });
    await expect(tool({}, { callId: 'm1' })).resolves.toBe('ran in the agent process');
    const completed = records().find((r) => r.callId === 'm1' && r.type === 'call.completed');
    expect(completed?.data.decision).toMatchObject({
      wouldDeny: true,
      isolation: { actual: 'none', required: 'process', met: false },
    });
  });

  it('names its refusal with a code of the closed list', () => {
    expect(GUARD_ERROR_CODES).toContain('ERR_GUARD_ISOLATION_REQUIRED');
  });
});
