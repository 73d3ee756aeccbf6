import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { type AgentIdentity, createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDetector, learnProfile, type MonitorSession, parseCorpus, replaySession } from '../src/index.js';

// The real detector inside guard(): a profile learned from the corpus's train split, then dev sessions
// replayed call by call through guarded tools whose results come from the trace. The agent name of the
// corpus is mapped onto the guard's did:key, which is what a guard scores under.
const dir = new URL('./datasets/agentdojo-traces/', import.meta.url).pathname;
const train = parseCorpus(readFileSync(join(dir, 'train.jsonl'), 'utf8'));
const dev = parseCorpus(readFileSync(join(dir, 'dev.jsonl'), 'utf8'));

// A hijacked banking session (the injection makes the second call, send_money, pay the attacker) and a
// benign banking session that also sends money; labels read from dev.jsonl by hand, never by the detector.
const HIJACKED = 's-fa960edeb8de5e68';
const BENIGN = 's-fbf088a244b626d6';
const SUITE = 'banking';

const agent = createIdentity({ name: 'banking-agent' });
const asAgent = (s: MonitorSession): MonitorSession => (s.agent === SUITE ? { ...s, agent: agent.id } : s);
const profile = learnProfile(train.map(asAgent));

function devSession(id: string): MonitorSession {
  const s = dev.find((x) => x.id === id);
  if (s === undefined) throw new Error(`dev session ${id} missing`);
  return asAgent(s);
}

interface Rec {
  type: string;
  callId: string;
  tool: string;
  agent: string;
  data?: { score: number; flagged: boolean; alerts: { feature: string; expected: string; seen: string }[] };
}

/** Replays a session through guard(): one guarded tool per tool name, results served from the trace. */
async function replayThroughGuard(session: MonitorSession, identity: AgentIdentity, onFlag: 'record' | 'deny') {
  const sink = createMemorySink();
  const names = [...new Set(session.calls.map((c) => c.tool))];
  const sideEffects = new Set(session.calls.filter((c) => c.sideEffect).map((c) => c.tool));
  const rules: PolicyDocument['rules'] = [
    ...(onFlag === 'deny'
      ? [{ id: 'deny-flagged', effect: 'deny' as const, tools: ['*'], monitor: { flagged: true } }]
      : []),
    { id: 'allow-tools', effect: 'allow' as const, tools: names },
  ];
  const ag = createGuard({
    identity,
    policy: { version: 1, rules },
    audit: createAuditLog({ sink }),
    monitor: { detector: createDetector(profile), sideEffect: (t) => sideEffects.has(t.name) },
  });
  const queue = session.calls.map((c) => c.result);
  const ran: number[] = [];
  let next = 0;
  const tools = new Map(
    names.map((name) => [
      name,
      ag.guard({
        name,
        schema: z.looseObject({}),
        execute: () => {
          ran.push(next);
          return queue[next] ?? null;
        },
      }),
    ]),
  );
  ag.beginSession(session.id, { ...(session.prompt === undefined ? {} : { prompt: session.prompt }) });
  const outcomes = [];
  for (const [i, call] of session.calls.entries()) {
    next = i;
    const tool = tools.get(call.tool);
    if (tool === undefined) throw new Error(`tool ${call.tool} not guarded`);
    outcomes.push(await tool.safeRun(call.args, { session: session.id, callId: `${session.id}.${i}` }));
  }
  await ag.close();
  const records = sink.lines.map((l) => JSON.parse(l) as Rec);
  return { sink, records, outcomes, ran };
}

describe('guard() with the detector learned from the train split', () => {
  it('a hijacked dev session: a signed monitor.alert names its evidence, at the call replay flags', async () => {
    const session = devSession(HIJACKED);
    const offline = replaySession(createDetector(profile), session).prediction;
    expect(offline.flagged).toBe(true);
    const { sink, records, outcomes } = await replayThroughGuard(session, agent, 'record');
    // Monitor mode: every call runs, the flag is recorded.
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const alerts = records.filter((r) => r.type === 'monitor.alert');
    expect(alerts.length).toBeGreaterThan(0);
    // The guard flags the same first call as the offline replay: the detector sees the same calls.
    expect(alerts[0]?.callId).toBe(`${session.id}.${offline.first_flagged_call}`);
    expect(alerts[0]?.tool).toBe(session.calls[offline.first_flagged_call ?? -1]?.tool);
    expect(alerts[0]?.agent).toBe(agent.id);
    expect(alerts[0]?.data?.flagged).toBe(true);
    expect(alerts[0]?.data?.score).toBeGreaterThan(0);
    for (const a of alerts[0]?.data?.alerts ?? []) {
      expect(a.feature.length).toBeGreaterThan(0);
      expect(a.expected.length).toBeGreaterThan(0);
      expect(a.seen.length).toBeGreaterThan(0);
    }
    expect(alerts[0]?.data?.alerts.length).toBeGreaterThan(0);
    expect(verifyLog(sink.text(), { trust: [agent.id] }).ok).toBe(true);
    // A record changed after the fact no longer verifies.
    const tampered = sink.text().replace('"flagged":true', '"flagged":false');
    expect(tampered).not.toBe(sink.text());
    expect(verifyLog(tampered, { trust: [agent.id] }).ok).toBe(false);
  });

  it("with the policy's flagged action 'deny', the flagged call is denied with its code and never runs", async () => {
    const session = devSession(HIJACKED);
    const first = replaySession(createDetector(profile), session).prediction.first_flagged_call;
    expect(first).not.toBeNull();
    const { records, outcomes, ran } = await replayThroughGuard(session, agent, 'deny');
    const denied = outcomes[first ?? -1];
    expect(denied?.ok).toBe(false);
    expect(denied !== undefined && !denied.ok && denied.denial).toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
      ruleId: 'deny-flagged',
    });
    expect(ran).not.toContain(first);
    // Calls before the flag were allowed and ran.
    expect(outcomes.slice(0, first ?? 0).every((o) => o.ok)).toBe(true);
    const types = records.filter((r) => r.callId === `${session.id}.${first}`).map((r) => r.type);
    expect(types).toEqual(['call.requested', 'monitor.alert', 'call.denied']);
  });

  it('a benign dev session replayed the same way raises no alert, also when flags are denied', async () => {
    const session = devSession(BENIGN);
    expect(session.calls.some((c) => c.sideEffect)).toBe(true);
    const { records, outcomes, ran } = await replayThroughGuard(session, agent, 'deny');
    expect(records.some((r) => r.type === 'monitor.alert')).toBe(false);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(ran).toEqual(session.calls.map((_, i) => i));
  });
});
