import { describe, expect, it } from 'vitest';
import type { DecisionRequest, MonitorVerdictView } from '../engine/decision.js';
import { createPolicyEngine } from '../engine/engine.js';
import { parsePolicy } from '../document/parse.js';
import { parsePolicyTestFile, runPolicyTests } from '../tools/policy-tests.js';

const agent = { id: 'did:key:z6MkAgent', name: 'bot' };
const req = (monitor?: MonitorVerdictView): DecisionRequest => ({
  agent,
  tool: { name: 'send_email', labels: ['egress'] },
  args: {},
  ...(monitor === undefined ? {} : { monitor }),
});
const scored = (score: number, features: string[] = []): MonitorVerdictView => ({
  status: 'scored',
  score,
  flagged: score >= 1,
  features,
});

describe('rule field monitor', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'send-if-clean', effect: 'allow', tools: ['send_email'], monitor: { flagged: false } },
      { id: 'approve-flagged', effect: 'require_approval', tools: ['send_email'], monitor: { flagged: true } },
      { id: 'deny-ungrounded', effect: 'deny', tools: ['send_email'], monitor: { features: ['value.ungrounded'] } },
      { id: 'deny-high', effect: 'deny', tools: ['send_email'], monitor: { minScore: 3 } },
    ],
  });

  it.each([
    ['a clean call', scored(0), 'allow', 'send-if-clean'],
    ['a flagged call', scored(1, ['tool.unknown', 'transition.unknown']), 'require_approval', 'approve-flagged'],
    ['an ungrounded recipient', scored(1, ['value.ungrounded']), 'deny', 'deny-ungrounded'],
    ['a very high score', scored(3.5, ['tool.unknown']), 'deny', 'deny-high'],
  ])('%s -> %s', async (_name, verdict, effect, ruleId) => {
    expect(await engine.decide(req(verdict))).toMatchObject({ effect, ruleId });
  });

  it('no verdict (no monitor) is undecided: allow does not apply, deny does (fail closed)', async () => {
    const d = await engine.decide(req());
    expect(d.effect).toBe('deny');
    expect(d.reason).toContain('no verdict');
  });

  it('a failed monitor is undecided the same way, and the reason says why', async () => {
    const d = await engine.decide(req({ status: 'failed', reason: 'the monitor threw: boom' }));
    expect(d.effect).toBe('deny');
    expect(d.reason).toContain('the monitor threw');
  });

  it('maxScore bounds from above', async () => {
    const e = createPolicyEngine({
      version: 1,
      rules: [{ id: 'low', effect: 'allow', tools: ['*'], monitor: { maxScore: 0.5 } }],
    });
    expect((await e.decide(req(scored(0.25)))).effect).toBe('allow');
    expect((await e.decide(req(scored(0.75)))).effect).toBe('deny');
  });

  it('in monitor mode a flagged call is recorded as would-deny and allowed', async () => {
    const e = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'send', effect: 'allow', tools: ['send_email'] },
        { id: 'deny-flagged', effect: 'deny', tools: ['send_email'], monitor: { flagged: true }, mode: 'monitor' },
      ],
    });
    const d = await e.decide(req(scored(1, ['value.ungrounded'])));
    expect(d).toMatchObject({ effect: 'allow', wouldDeny: true, ruleId: 'deny-flagged' });
  });

  it.each([
    ['not an object', 'x'],
    ['an unknown status', { status: 'maybe' }],
    ['a negative score', { status: 'scored', score: -1, flagged: false, features: [] }],
    ['a NaN score', { status: 'scored', score: Number.NaN, flagged: false, features: [] }],
    ['features not strings', { status: 'scored', score: 0, flagged: false, features: [1] }],
    ['a failure without reason', { status: 'failed' }],
  ])('a malformed verdict (%s) is an evaluation error: deny', async (_name, monitor) => {
    const d = await engine.decide({ ...req(), monitor } as unknown as DecisionRequest);
    expect(d.effect).toBe('deny');
    expect(d.reason).toContain('ERR_POLICY_EVALUATION');
  });

  it.each([
    [{}, 'needs a test'],
    [{ minScore: -1 }, 'minScore'],
    [{ features: [] }, 'features'],
    [{ flagged: 'yes' }, 'flagged'],
    [{ extra: 1 }, 'extra'],
  ])('the schema refuses %j', (monitor, _what) => {
    expect(() => parsePolicy({ version: 1, rules: [{ id: 'r', effect: 'deny', tools: ['*'], monitor }] })).toThrow();
  });

  it('policy test fixtures can give a verdict', async () => {
    const file = parsePolicyTestFile({
      cases: [
        {
          name: 'flagged',
          agent: 'bot',
          tool: 'send_email',
          monitor: { status: 'scored', score: 1, flagged: true, features: ['tool.unknown'] },
          expect: 'require_approval',
        },
        {
          name: 'failed',
          agent: 'bot',
          tool: 'send_email',
          monitor: { status: 'failed', reason: 'x' },
          expect: 'deny',
        },
      ],
    });
    const report = await runPolicyTests(engine, file.cases);
    expect(report.failed).toBe(0);
  });
});

describe('rule field suspendAgent', () => {
  const rules = [
    { id: 'send-if-clean', effect: 'allow' as const, tools: ['send_email'], monitor: { flagged: false } },
    {
      id: 'suspend-high',
      effect: 'deny' as const,
      tools: ['send_email'],
      monitor: { minScore: 3 },
      suspendAgent: true,
    },
  ];
  const engine = createPolicyEngine({ version: 1, rules });

  it('an enforced deny rule that matched outright suspends the agent', async () => {
    expect(await engine.decide(req(scored(3.5)))).toMatchObject({
      effect: 'deny',
      ruleId: 'suspend-high',
      suspendAgent: true,
    });
  });

  it('a clean call, a failed monitor (undecided: denied, not suspended) and no monitor never suspend', async () => {
    expect((await engine.decide(req(scored(0)))).suspendAgent).toBeUndefined();
    const failed = await engine.decide(req({ status: 'failed', reason: 'timeout' }));
    expect(failed).toMatchObject({ effect: 'deny', ruleId: 'suspend-high' });
    expect(failed.suspendAgent).toBeUndefined();
    expect((await engine.decide(req())).suspendAgent).toBeUndefined();
  });

  it('a monitored rule or policy never suspends', async () => {
    const monitored = createPolicyEngine({ version: 1, mode: 'monitor', rules });
    expect((await monitored.decide(req(scored(5)))).suspendAgent).toBeUndefined();
    const ruleMonitored = createPolicyEngine({
      version: 1,
      rules: [rules[0], { ...rules[1], mode: 'monitor' as const }],
    });
    expect((await ruleMonitored.decide(req(scored(5)))).suspendAgent).toBeUndefined();
  });

  it('only a deny rule may suspend', () => {
    expect(() =>
      parsePolicy({ version: 1, rules: [{ id: 'x', effect: 'allow', tools: ['a'], suspendAgent: true }] }),
    ).toThrow(/only a deny rule can suspend the agent/);
  });
});
