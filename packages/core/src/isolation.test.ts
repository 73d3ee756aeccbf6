import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { ISOLATION_LEVELS, type IsolationLevel, type PolicyDocument, type PolicyEngine } from '@agentguard/policy';
import { markIsolation } from '@agentguard/policy/internal';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';

type Rec = { type: string; callId: string; data: Record<string, unknown> };

/** A tool function that runs with `level`: marked as a sandbox runner would mark it, or plain for `none`. */
function runnerOf(level: IsolationLevel, run: (args: unknown) => unknown = () => 'ran') {
  const fn = vi.fn(async (args: unknown) => run(args));
  const execute = level === 'none' ? fn : markIsolation((args: unknown) => fn(args), level);
  return { fn, execute };
}

function setup(policy: PolicyDocument, options: { checkpoint?: boolean; approver?: () => never } = {}) {
  const sink = createMemorySink();
  const audit = createAuditLog(
    options.checkpoint === true
      ? { sink, checkpoint: { signer: createIdentity({ name: 'log' }), everyRecords: 100, everyMs: 0 } }
      : { sink },
  );
  const ag = createGuard({
    identity: createIdentity({ name: 'agent' }),
    policy,
    audit,
    ...(options.approver === undefined
      ? {}
      : { approvals: { approvers: [createIdentity({ name: 'approver' }).id], approver: options.approver } }),
  });
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type.startsWith('call.'));
  return { ag, records };
}

const requiring = (isolation: IsolationLevel, extra: Partial<PolicyDocument> = {}): PolicyDocument => ({
  version: 1,
  ...extra,
  rules: [{ id: 'sandboxed', effect: 'allow', tools: ['fetch_page'], obligations: { isolation } }],
});

describe('the isolation obligation in guard()', () => {
  for (const actual of ISOLATION_LEVELS) {
    for (const required of ISOLATION_LEVELS) {
      const met = ISOLATION_LEVELS.indexOf(actual) >= ISOLATION_LEVELS.indexOf(required);
      it(`a '${actual}' tool under an obligation of '${required}' ${met ? 'runs' : 'is refused'}`, async () => {
        const { ag, records } = setup(requiring(required));
        const { fn, execute } = runnerOf(actual);
        const tool = ag.guard({ name: 'fetch_page', schema: z.object({ url: z.string() }), execute });
        const outcome = await tool.safeRun({ url: 'https://a.example' });
        const last = records().at(-1);
        if (met) {
          expect(outcome).toMatchObject({ ok: true, value: 'ran' });
          expect(last?.type).toBe('call.completed');
        } else {
          expect(outcome).toMatchObject({
            ok: false,
            denial: { code: 'ERR_GUARD_ISOLATION_REQUIRED', outcome: 'denied', ruleId: 'sandboxed' },
          });
          expect(outcome.ok ? '' : outcome.denial.reason).toContain(`requires isolation '${required}'`);
          expect(fn).not.toHaveBeenCalled();
          expect(last?.type).toBe('call.denied');
          expect(last?.data.code).toBe('ERR_GUARD_ISOLATION_REQUIRED');
        }
        expect(last?.data.decision).toHaveProperty('isolation', { actual, required, met });
      });
    }
  }

  it('a policy default obliges every allowed call; the strongest of default and rule wins', async () => {
    const { ag } = setup({
      version: 1,
      obligations: { isolation: 'process' },
      rules: [
        { id: 'read', effect: 'allow', tools: ['read'] },
        { id: 'shell', effect: 'allow', tools: ['shell'], obligations: { isolation: 'bwrap' } },
      ],
    });
    const read = ag.guard({ name: 'read', schema: z.object({}), execute: () => 'in process' });
    await expect(read({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    const readSandboxed = ag.guard({ name: 'read', schema: z.object({}), execute: runnerOf('process').execute });
    await expect(readSandboxed({})).resolves.toBe('ran');
    const shell = ag.guard({ name: 'shell', schema: z.object({}), execute: runnerOf('process').execute });
    await expect(shell({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
  });

  it('records the isolation of a sandboxed tool even when the policy asks nothing, and nothing for a plain one', async () => {
    const { ag, records } = setup({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['a', 'b'] }] });
    await ag.guard({ name: 'a', schema: z.object({}), execute: runnerOf('bwrap').execute })({});
    await ag.guard({ name: 'b', schema: z.object({}), execute: () => 1 })({});
    const [a, b] = records().filter((r) => r.type === 'call.completed');
    expect(a?.data.decision).toHaveProperty('isolation', { actual: 'bwrap' });
    expect(b?.data.decision).not.toHaveProperty('isolation');
  });

  it('under a policy in monitor mode the call runs, and its record says the obligation would have refused it', async () => {
    const { ag, records } = setup(requiring('bwrap', { mode: 'monitor' }));
    const { fn, execute } = runnerOf('process');
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute });
    await expect(tool({})).resolves.toBe('ran');
    expect(fn).toHaveBeenCalledOnce();
    const completed = records().find((r) => r.type === 'call.completed');
    expect(completed?.data.decision).toMatchObject({
      mode: 'monitor',
      wouldDeny: true,
      isolation: { actual: 'process', required: 'bwrap', met: false },
    });
  });

  it('check() answers deny with the code, and the run after it is refused too', async () => {
    const { ag } = setup(requiring('bwrap'));
    const { fn, execute } = runnerOf('process');
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute });
    await expect(tool.check({}, { callId: 'c1' })).resolves.toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_ISOLATION_REQUIRED',
      ruleId: 'sandboxed',
    });
    // Asked again, the kept decision answers the same.
    await expect(tool.check({}, { callId: 'c1' })).resolves.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    await expect(tool({}, { callId: 'c1' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(fn).not.toHaveBeenCalled();
  });

  it('refuses before asking a human: an approval cannot lift an isolation obligation', async () => {
    const approver = vi.fn(() => {
      throw new Error('never asked');
    });
    const { ag } = setup(
      {
        version: 1,
        rules: [{ id: 'human', effect: 'require_approval', tools: ['pay'], obligations: { isolation: 'process' } }],
      },
      { approver: approver as () => never },
    );
    const tool = ag.guard({ name: 'pay', schema: z.object({}), execute: () => 'paid' });
    await expect(tool({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(approver).not.toHaveBeenCalled();
  });

  it('holds in throughput mode (signing: batched)', async () => {
    const { ag, records } = setup(requiring('process'), { checkpoint: true });
    const { fn, execute } = runnerOf('none');
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), signing: 'batched', execute });
    await expect(tool({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(fn).not.toHaveBeenCalled();
    expect(records().at(-1)?.type).toBe('call.denied');
  });

  it('a custom engine that answers an unknown isolation level is refused (fail closed)', async () => {
    const base = setup({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['t'] }] });
    const engine = {
      hash: `sha256:${'a'.repeat(64)}`,
      mode: 'enforce',
      decide: () => ({
        effect: 'allow',
        ruleId: 'r',
        reason: 'ok',
        matched: ['r'],
        policyHash: `sha256:${'a'.repeat(64)}`,
        mode: 'enforce',
        obligations: { isolation: 'vm' },
      }),
      hold: () => {
        throw new Error('unused');
      },
      release: () => undefined,
    };
    // A malformed engine on purpose: its obligation names a level that does not exist.
    await base.ag.setPolicy(engine as unknown as PolicyEngine);
    const { fn, execute } = runnerOf('bwrap');
    const tool = base.ag.guard({ name: 't', schema: z.object({}), execute });
    await expect(tool({})).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('the isolation a tool spec declares', () => {
  const schema = z.object({});
  const { ag } = setup({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['t'] }] });

  it('must be what execute really runs with', () => {
    expect(() => ag.guard({ name: 't', schema, isolation: 'bwrap', execute: () => 1 })).toThrow(
      /"isolation" is 'bwrap', but "execute" is a function that runs in this process/,
    );
    expect(() => ag.guard({ name: 't', schema, isolation: 'process', execute: async () => 1 })).toThrow(TypeError);
    const runner = runnerOf('process').execute;
    // A wrapped or bound runner is a plain function: its mark does not travel.
    expect(() => ag.guard({ name: 't', schema, isolation: 'process', execute: (a) => runner(a) })).toThrow(TypeError);
    expect(() => ag.guard({ name: 't', schema, isolation: 'process', execute: runner.bind(null) })).toThrow(TypeError);
    expect(() => ag.guard({ name: 't', schema, isolation: 'bwrap', execute: runner })).toThrow(
      /a 'process' sandbox runner/,
    );
    expect(() => ag.guard({ name: 't', schema, isolation: 'none', execute: runner })).toThrow(TypeError);
    expect(() => ag.guard({ name: 't', schema, isolation: 'process', execute: runner })).not.toThrow();
    expect(() => ag.guard({ name: 't', schema, isolation: 'none', execute: () => 1 })).not.toThrow();
  });

  it('must be a level', () => {
    for (const bad of ['docker', 'PROCESS', '', 1, null]) {
      expect(() => ag.guard({ name: 't', schema, isolation: bad as never, execute: () => 1 })).toThrow(
        /"isolation" expected 'process', 'bwrap' or 'none'/,
      );
    }
  });
});
