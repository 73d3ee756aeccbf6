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
