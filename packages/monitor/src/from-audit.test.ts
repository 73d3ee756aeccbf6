import { createAuditLog, createMemorySink, readLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { createDetector } from './detector.js';
import { sessionsFromAudit } from './from-audit.js';
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
          { tool: 'get_ticket', args: { id: 'T-1' }, sideEffect: false, result: null },
          { tool: 'reply', args: { to: 'user@corp.example.com' }, sideEffect: true, result: null },
        ],
      },
    ]);
    const profile = learnProfile(sessions);
    expect(profile.agents[agent.id]?.values.email).toEqual(['user@corp.example.com']);
    const d = createDetector(profile);
    expect(
      d.score({ agent: agent.id, tool: 'reply', args: { to: 'user@corp.example.com' }, sideEffect: true }).flagged,
    ).toBe(false);
    expect(
      d.score({ agent: agent.id, tool: 'reply', args: { to: 'x@evil.example.net' }, sideEffect: true }).flagged,
    ).toBe(true);
  });
});
