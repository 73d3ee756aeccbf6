import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createApproval } from '@agentguard/attestation';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CallMonitor, createGuard, type MonitorVerdict } from './index.js';

const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'read', effect: 'allow', tools: ['read_inbox'] },
    { id: 'send-if-clean', effect: 'allow', tools: ['send_email'], monitor: { flagged: false } },
    {
      id: 'suspend-ungrounded',
      effect: 'deny',
      tools: ['send_email'],
      reason: 'recipient named nowhere the user could have meant',
      monitor: { features: ['value.ungrounded'] },
      suspendAgent: true,
    },
    { id: 'deny-flagged', effect: 'deny', tools: ['send_email'], monitor: { flagged: true } },
  ],
};
const verdict = (feature?: string): MonitorVerdict =>
  feature === undefined
    ? { score: 0, flagged: false, alerts: [] }
    : { score: 1, flagged: true, alerts: [{ feature, expected: 'e', seen: 's' }] };

function setup(
  score: (args: Readonly<Record<string, unknown>>) => MonitorVerdict | Promise<MonitorVerdict>,
  observe?: CallMonitor['observe'],
) {
  const identity = createIdentity({ name: 'mail-agent' });
  const sink = createMemorySink();
  const detector: CallMonitor = { score: (c) => score(c.args), ...(observe === undefined ? {} : { observe }) };
  const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }), monitor: { detector } });
  const read = ag.guard({ name: 'read_inbox', schema: z.object({}), execute: () => 'x'.repeat(10) });
  const send = ag.guard({
    name: 'send_email',
    schema: z.object({ to: z.string() }),
    labels: ['egress'],
    execute: ({ to }) => `sent to ${to}`,
  });
  const records = () =>
    sink.lines.map((l) => JSON.parse(l) as { type: string; agent: string; data: Record<string, unknown> });
  return { ag, read, send, records, sink, identity };
}

describe('monitor suspension', () => {
  it('a deny rule with suspendAgent suspends the agent: every later call is refused with its own code', async () => {
    const { ag, read, send, records, identity } = setup((a) =>
      verdict(a.to === 'evil@x.example.net' ? 'value.ungrounded' : undefined),
    );
    expect(await send({ to: 'ann@corp.example.com' })).toBe('sent to ann@corp.example.com');
    const first = await send.safeRun({ to: 'evil@x.example.net' });
    expect(first.ok ? undefined : first.denial.code).toBe('ERR_GUARD_POLICY_DENIED');
    // A clean call of another tool is refused too, with the suspension's code and the rule that suspended.
    const later = await read.safeRun({});
    expect(later.ok).toBe(false);
    expect(later.ok ? undefined : [later.denial.code, later.denial.ruleId]).toEqual([
      'ERR_GUARD_MONITOR_SUSPENDED',
      'suspend-ungrounded',
    ]);
    expect((await send.check({ to: 'ann@corp.example.com' })).code).toBe('ERR_GUARD_MONITOR_SUSPENDED');
    expect(ag.suspendedAgents()).toEqual([
      expect.objectContaining({
        agent: identity.id,
        ruleId: 'suspend-ungrounded',
        reason: expect.stringContaining('recipient named nowhere'),
      }),
    ]);
    const suspended = records().filter((r) => r.type === 'monitor.suspended');
    expect(suspended).toEqual([
      expect.objectContaining({ agent: identity.id, data: expect.objectContaining({ ruleId: 'suspend-ungrounded' }) }),
    ]);
    expect(
      records()
        .filter((r) => r.type === 'call.denied')
        .at(-1)?.data.code,
    ).toBe('ERR_GUARD_MONITOR_SUSPENDED');
  });

  it('only an operator resumes it, with a signed record; a resumed agent is decided as usual again', async () => {
    const { ag, read, send, records, sink, identity } = setup((a) =>
      verdict(a.to === 'evil@x.example.net' ? 'value.ungrounded' : undefined),
    );
    await send.safeRun({ to: 'evil@x.example.net' });
    expect(await ag.resumeAgent('did:key:z6MkSomeoneElse')).toBe(false);
    expect(await ag.resumeAgent(identity.id, { by: 'alice', reason: 'reviewed' })).toBe(true);
    expect(await ag.resumeAgent(identity.id)).toBe(false); // once
    expect(await read({})).toBe('x'.repeat(10));
    expect(records().find((r) => r.type === 'monitor.resumed')).toMatchObject({
      agent: identity.id,
      data: { by: 'alice', reason: 'reviewed', suspendedBy: 'suspend-ungrounded' },
    });
    expect(ag.suspendedAgents()).toEqual([]);
    const verified = verifyLog(sink.text(), { trust: [identity.id] });
    expect(verified.ok).toBe(true);
    await expect(ag.resumeAgent('')).rejects.toThrow(TypeError);
  });

  it('a deny without suspendAgent, or a failed monitor (undecided), does not suspend', async () => {
    const flagged = setup(() => verdict('tool.unknown'));
    expect((await flagged.send.safeRun({ to: 'a@b.example.com' })).ok).toBe(false);
    expect(await flagged.read({})).toBe('x'.repeat(10));
    const failing = setup(() => {
      throw new Error('monitor down');
    });
    const r = await failing.send.safeRun({ to: 'a@b.example.com' });
    expect(r.ok ? undefined : r.denial.ruleId).toBe('suspend-ungrounded'); // fail closed: denied…
    expect(failing.ag.suspendedAgents()).toEqual([]); // …but not suspended
    expect(await failing.read({})).toBe('x'.repeat(10));
  });

  it('a verdict about a result is recorded after the call as a monitor.alert of phase result', async () => {
    const { read, records } = setup(
      () => verdict(),
      () => ({ score: 0.5, flagged: true, alerts: [{ feature: 'size.result', expected: 'at most 4', seen: 'more' }] }),
    );
    expect(await read({})).toBe('x'.repeat(10));
    const types = records().map((r) => r.type);
    expect(types.slice(-2)).toEqual(['call.completed', 'monitor.alert']);
    expect(records().at(-1)?.data).toMatchObject({ phase: 'result', alerts: [{ feature: 'size.result' }] });
  });

  it('a malformed or throwing verdict about a result is ignored: the call has run', async () => {
    for (const observe of [
      () => ({ score: -1 }) as unknown as MonitorVerdict,
      () => {
        throw new Error('x');
      },
      () => ({ score: 0, flagged: false, alerts: [] }),
    ]) {
      const { read, records } = setup(() => verdict(), observe);
      expect(await read({})).toBe('x'.repeat(10));
      expect(records().map((r) => r.type)).not.toContain('monitor.alert');
    }
  });

  it('a call waiting for a human when its agent is suspended does not run once approved', async () => {
    const human = createIdentity({ name: 'human' });
    const identity = createIdentity({ name: 'mail-agent' });
    let release: (() => void) | undefined;
    const decided = new Promise<void>((r) => {
      release = r;
    });
    let asked: (() => void) | undefined;
    const waiting = new Promise<void>((r) => {
      asked = r;
    });
    const detector: CallMonitor = {
      score: (c) => verdict((c.args as { to?: string }).to === 'evil@x.example.net' ? 'value.ungrounded' : undefined),
    };
    const ag = createGuard({
      identity,
      policy: {
        version: 1,
        rules: [...policy.rules, { id: 'ask-refund', effect: 'require_approval', tools: ['refund'] }],
      },
      audit: createAuditLog({ sink: createMemorySink() }),
      monitor: { detector },
      approvals: {
        approvers: [human.id],
        approver: async (request) => {
          asked?.();
          await decided;
          return createApproval(
            { callId: request.callId, tool: request.tool, args: request.args, policyHash: request.policyHash },
            { approver: human, decision: 'approve' },
          );
        },
      },
    });
    let ran = 0;
    const refund = ag.guard({ name: 'refund', schema: z.object({}), execute: () => ran++ });
    const send = ag.guard({ name: 'send_email', schema: z.object({ to: z.string() }), execute: () => 'sent' });
    const pending = refund.safeRun({});
    await waiting;
    await send.safeRun({ to: 'evil@x.example.net' }); // suspends the agent
    expect(ag.suspendedAgents().map((s) => s.agent)).toEqual([identity.id]);
    release?.();
    const outcome = await pending;
    expect(outcome.ok ? undefined : outcome.denial.code).toBe('ERR_GUARD_MONITOR_SUSPENDED');
    expect(ran).toBe(0);
  });
});
