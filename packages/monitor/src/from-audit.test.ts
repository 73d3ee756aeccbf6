import { createAuditLog, createMemorySink, readLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { createDetector } from './detector.js';
import { callOfRecord, sessionsFromAudit } from './from-audit.js';
import { learnProfile } from './learn.js';

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(5) });

describe('learning from audit logs', () => {
  it('reads call.requested records through readLog and learns the same shape', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const calls = [
      { tool: 'get_ticket', args: { id: 'T-1' }, labels: [] },
      { tool: 'reply', args: { to: 'user@corp.example.com' }, labels: ['egress'] },
    ];
    for (const [i, c] of calls.entries()) {
      await log.append(
        {
          type: 'call.requested',
          callId: `c${i}`,
          agent: agent.id,
          tool: c.tool,
          data: { args: c.args, labels: c.labels },
        },
        agent,
      );
      await log.append({ type: 'call.completed', callId: `c${i}`, agent: agent.id, tool: c.tool, data: {} }, agent);
    }
    await log.close();
    const sessions = sessionsFromAudit(readLog(sink.text()).records);
    expect(sessions).toEqual([
      {
        id: agent.id,
        agent: agent.id,
        calls: [
          { tool: 'get_ticket', args: { id: 'T-1' }, sideEffect: false, result: null, at: expect.any(Number) },
          {
            tool: 'reply',
            args: { to: 'user@corp.example.com' },
            sideEffect: true,
            result: null,
            at: expect.any(Number),
          },
        ],
      },
    ]);
    expect(Math.abs((sessions[0]?.calls[0]?.at ?? 0) - Date.now())).toBeLessThan(3_600_000);
    const profile = learnProfile(sessions);
    expect(profile.agents[agent.id]?.values.email).toEqual(['user@corp.example.com']);
    expect(profile.agents[agent.id]?.timing.calls).toBe(2);
    expect(profile.agents[agent.id]?.flows).toEqual({ reply: ['get_ticket'] });
    const d = createDetector(profile);
    expect(
      d.score({ agent: agent.id, tool: 'reply', args: { to: 'user@corp.example.com' }, sideEffect: true }).flagged,
    ).toBe(false);
    expect(
      d.score({ agent: agent.id, tool: 'reply', args: { to: 'x@evil.example.net' }, sideEffect: true }).flagged,
    ).toBe(true);
  });

  it('reads a record through the record-data contract: one that breaks it teaches nothing', () => {
    const base = {
      v: 1,
      seq: 0,
      ts: '2026-12-03T10:00:00.000Z',
      prev: '0'.repeat(64),
      type: 'call.requested',
      callId: 'c1',
      agent: agent.id,
      tool: 'reply',
      signer: agent.id,
      hash: 'ab'.repeat(32),
    } as const;
    const read = (data: unknown) => callOfRecord({ ...base, data } as unknown as Parameters<typeof callOfRecord>[0]);
    expect(read({ args: { to: 'a@b.example' }, labels: ['egress'], session: 's1' })).toMatchObject({
      session: 's1',
      call: { tool: 'reply', args: { to: 'a@b.example' }, sideEffect: true },
    });
    // Records written by another writer than the log's (which checks the contract on append).
    expect(read({ args: { to: 'a@b.example' }, labels: 'egress' })).toBeUndefined();
    expect(read({ session: 42 })).toBeUndefined();
    expect(read([1, 2])).toBeUndefined();
    // Args recorded by digest only: the call is still seen, with no args.
    expect(read({ argsOmitted: { reason: 'too-large', bytes: 300_000 } })).toMatchObject({
      session: agent.id,
      call: { args: {} },
    });
  });
});
