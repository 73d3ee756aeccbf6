import { describe, expect, it } from 'vitest';
import type { DecisionAgent, DecisionRequest } from './decision.js';
import { createPolicyEngine } from './engine.js';

const agent: DecisionAgent = { id: 'did:key:z6MkAgent', name: 'bot' };
const req = (tool: DecisionRequest['tool'], extra: Partial<DecisionRequest> = {}): DecisionRequest => ({
  agent,
  tool,
  args: {},
  ...extra,
});

describe('precedence: deny > require_approval > allow > default deny', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'allow-all-pay', effect: 'allow', tools: ['pay*'] },
      { id: 'approve-big', effect: 'require_approval', tools: ['pay'], when: { '/amount': { min: 100 } } },
      { id: 'deny-huge', effect: 'deny', tools: ['pay'], when: { '/amount': { min: 10_000 } } },
    ],
  });
  it.each([
    [5, 'allow', 'allow-all-pay'],
    [500, 'require_approval', 'approve-big'],
    [50_000, 'deny', 'deny-huge'],
  ])('amount %d -> %s by %s', async (amount, effect, ruleId) => {
    const d = await engine.decide(req({ name: 'pay' }, { args: { amount } }));
    expect(d).toMatchObject({ effect, ruleId });
  });
  it('names the rule that requires approval', async () => {
    const d = await engine.decide(req({ name: 'pay' }, { args: { amount: 500 } }));
    expect(d.reason).toBe('rule "approve-big" requires approval for tool "pay" for agent "bot"');
    expect(d.matched).toEqual(['allow-all-pay', 'approve-big']);
  });
});

describe('tags and subjects', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'reads', effect: 'allow', tools: ['*'], tags: ['read'] },
      {
        id: 'no-destructive-in-prod',
        effect: 'deny',
        tools: ['*'],
        tags: ['destructive'],
        subject: { environment: ['prod*'] },
      },
      {
        id: 'writes-for-owners',
        effect: 'allow',
        tools: ['write_*'],
        subject: { owner: ['team-a'], scopes: ['files:write'] },
      },
      { id: 'shallow', effect: 'allow', tools: ['spawn'], subject: { maxDelegationDepth: 1, riskTier: ['low'] } },
    ],
  });
  it('allows by tag and denies by tag and environment', async () => {
    expect((await engine.decide(req({ name: 'list', tags: ['read'] }))).effect).toBe('allow');
    expect((await engine.decide(req({ name: 'list', tags: ['write'] }))).effect).toBe('deny');
    expect((await engine.decide(req({ name: 'list' }))).effect).toBe('deny');
    const prod = { ...agent, environment: 'production' };
    const d = await engine.decide({ agent: prod, tool: { name: 'rm', tags: ['read', 'destructive'] }, args: {} });
    expect(d).toMatchObject({ effect: 'deny', ruleId: 'no-destructive-in-prod' });
    const dev = { ...agent, environment: 'dev' };
    expect(
      (await engine.decide({ agent: dev, tool: { name: 'rm', tags: ['read', 'destructive'] }, args: {} })).effect,
    ).toBe('allow');
  });
  it('checks owner and all scopes', async () => {
    const ok = { ...agent, owner: 'team-a', scopes: ['files:write', 'x'] };
    expect((await engine.decide({ agent: ok, tool: { name: 'write_x' }, args: {} })).effect).toBe('allow');
    const noScope = { ...agent, owner: 'team-a', scopes: ['x'] };
    expect((await engine.decide({ agent: noScope, tool: { name: 'write_x' }, args: {} })).effect).toBe('deny');
    const otherOwner = { ...agent, owner: 'team-b', scopes: ['files:write'] };
    expect((await engine.decide({ agent: otherOwner, tool: { name: 'write_x' }, args: {} })).effect).toBe('deny');
  });
  it('checks delegation depth and risk tier', async () => {
    const at = (delegationDepth: number, riskTier = 'low') => ({ ...agent, delegationDepth, riskTier });
    expect((await engine.decide({ agent: at(1), tool: { name: 'spawn' }, args: {} })).effect).toBe('allow');
    expect((await engine.decide({ agent: at(2), tool: { name: 'spawn' }, args: {} })).effect).toBe('deny');
    expect((await engine.decide({ agent: at(0, 'high'), tool: { name: 'spawn' }, args: {} })).effect).toBe('deny');
  });
});

describe('schedule', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      {
        id: 'office',
        effect: 'allow',
        tools: ['deploy'],
        schedule: { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00', utcOffsetMinutes: 60 },
      },
      { id: 'night-freeze', effect: 'deny', tools: ['*'], schedule: { from: '22:00', to: '06:00' } },
      { id: 'other', effect: 'allow', tools: ['other'] },
    ],
  });
  const at = (iso: string, tool = 'deploy') => engine.decide(req({ name: tool }, { nowMs: Date.parse(iso) }));
  it('applies time windows in the given offset, wrapping past midnight', async () => {
    expect((await at('2026-11-25T08:30:00Z')).effect).toBe('allow'); // Wednesday 09:30 at +01:00
    expect((await at('2026-11-25T07:30:00Z')).effect).toBe('deny'); // 08:30 at +01:00
    expect((await at('2026-11-28T10:00:00Z')).effect).toBe('deny'); // Saturday
    expect((await at('2026-11-25T23:00:00Z', 'other')).ruleId).toBe('night-freeze');
    expect((await at('2026-11-25T05:59:00Z', 'other')).ruleId).toBe('night-freeze');
    expect((await at('2026-11-25T06:00:00Z', 'other')).ruleId).toBe('other');
  });

  it("reads the engine's clock (epoch ms) when a request carries no nowMs", async () => {
    let t = Date.parse('2026-11-25T16:59:59.999Z'); // Wednesday 17:59:59.999 at +01:00
    const clocked = createPolicyEngine(engine.policy, { clock: () => t });
    const call = req({ name: 'deploy' });
    expect((await clocked.decide(call)).effect).toBe('deny');
    t = Date.parse('2026-11-25T15:59:59.999Z'); // 16:59:59.999: the last instant inside the window
    expect((await clocked.decide(call)).ruleId).toBe('office');
    t += 1; // 17:00 sharp: outside
    expect((await clocked.decide(call)).effect).toBe('deny');
  });
});

describe('modes', () => {
  const rules = [
    { id: 'reads', effect: 'allow', tools: ['read_*'] },
    { id: 'no-secrets', effect: 'deny', tools: ['read_secret'], mode: 'monitor' },
    { id: 'no-env', effect: 'deny', tools: ['read_env'], mode: 'off' },
  ] as const;
  it('a monitored rule reports would-deny but allows; an off rule is ignored', async () => {
    const engine = createPolicyEngine({ version: 1, rules });
    const d = await engine.decide(req({ name: 'read_secret' }));
    expect(d).toMatchObject({ effect: 'allow', wouldDeny: true, ruleId: 'no-secrets', mode: 'enforce' });
    expect(d.reason).toMatch(/^monitored rule: would deny: rule "no-secrets" denies/);
    const off = await engine.decide(req({ name: 'read_env' }));
    expect(off).toMatchObject({ effect: 'allow', ruleId: 'reads', matched: ['reads'] });
    expect(off.wouldDeny).toBeUndefined();
  });
  it('the policy mode caps rule modes: monitor allows even the default deny', async () => {
    const engine = createPolicyEngine({
      version: 1,
      mode: 'monitor',
      rules: [{ id: 'r', effect: 'deny', tools: ['x'], mode: 'enforce' }],
    });
    expect(await engine.decide(req({ name: 'x' }))).toMatchObject({ effect: 'allow', wouldDeny: true, ruleId: 'r' });
    const d = await engine.decide(req({ name: 'y' }));
    expect(d).toMatchObject({ effect: 'allow', wouldDeny: true, ruleId: null, mode: 'monitor' });
    expect(d.reason).toMatch(/^policy in monitor mode: would deny: no rule allows/);
  });
  it('mode off allows without evaluating', async () => {
    const engine = createPolicyEngine({ version: 1, mode: 'off', rules: [{ id: 'r', effect: 'deny', tools: ['x'] }] });
    expect(await engine.decide(req({ name: 'x' }))).toMatchObject({ effect: 'allow', mode: 'off', matched: [] });
  });
});

describe('obligations', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      {
        id: 'a',
        effect: 'allow',
        tools: ['q'],
        obligations: { redact: ['/ssn'], maxResultBytes: 1000, timeoutMs: 5000 },
      },
      { id: 'b', effect: 'allow', tools: ['q*'], obligations: { redact: ['/card', '/ssn'], timeoutMs: 2000 } },
      { id: 'c', effect: 'deny', tools: ['qq'] },
    ],
  });
  it('merges them strictly: redactions add up, the smallest limits win', async () => {
    const d = await engine.decide(req({ name: 'q' }));
    expect(d.obligations).toEqual({ redact: ['/ssn', '/card'], maxResultBytes: 1000, timeoutMs: 2000 });
  });
  it('puts none on a deny', async () => {
    expect((await engine.decide(req({ name: 'qq' }))).obligations).toBeUndefined();
  });
  it('rejects bad obligations', () => {
    expect(() =>
      createPolicyEngine({
        version: 1,
        rules: [{ id: 'a', effect: 'allow', tools: ['q'], obligations: { timeoutMs: -1 } }],
      }),
    ).toThrow(/rules\[0\]\.obligations\.timeoutMs/);
  });
});

describe('restraint self-test', () => {
  it('refuses to arm a policy that allows everything to everyone', () => {
    expect(() => createPolicyEngine({ version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['*'] }] })).toThrow(
      expect.objectContaining({
        code: 'ERR_POLICY_SELF_TEST',
        message: expect.stringMatching(/rule "all" decided allow/),
      }),
    );
  });
  it('checks a monitored policy as it would be enforced', () => {
    expect(() =>
      createPolicyEngine({ version: 1, mode: 'monitor', rules: [{ id: 'all', effect: 'allow', tools: ['*'] }] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_POLICY_SELF_TEST' }));
  });
  it('arms an allow-all rule that is narrowed by agent, tag or condition', () => {
    expect(() =>
      createPolicyEngine({ version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['*'], agents: ['bot'] }] }),
    ).not.toThrow();
    expect(() =>
      createPolicyEngine({ version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['*'], tags: ['read'] }] }),
    ).not.toThrow();
  });
  it('takes a custom canary, and an explicitly unsafe opt-out', () => {
    const policy = { version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['read_*'] }] };
    const canary = { agent, tool: { name: 'read_file' }, args: {} };
    expect(() => createPolicyEngine(policy, { canary })).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_SELF_TEST' }),
    );
    expect(() =>
      createPolicyEngine(
        { version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['*'] }] },
        { unsafeSkipSelfTest: true },
      ),
    ).not.toThrow();
  });
});

describe('data flow: source labels taint the session', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'tools', effect: 'allow', tools: ['*'], agents: ['bot'] },
      {
        id: 'no-egress-after-private',
        effect: 'deny',
        tools: ['*'],
        labels: ['egress'],
        taintedBy: ['reads:pii', 'reads:secrets'],
      },
      {
        id: 'approve-writes-after-untrusted',
        effect: 'require_approval',
        tools: ['*'],
        labels: ['writes:external'],
        taintedBy: ['untrusted-content'],
      },
    ],
  });
  const s = (id: string) => ({ session: { id } });
  it('denies a sink after a source, in that session only', async () => {
    expect((await engine.decide(req({ name: 'send_email', labels: ['egress'] }, s('1')))).effect).toBe('allow');
    expect((await engine.decide(req({ name: 'read_crm', labels: ['reads:pii'] }, s('1')))).effect).toBe('allow');
    const d = await engine.decide(req({ name: 'send_email', labels: ['egress'] }, s('1')));
    expect(d).toMatchObject({ effect: 'deny', ruleId: 'no-egress-after-private' });
    expect((await engine.decide(req({ name: 'send_email', labels: ['egress'] }, s('2')))).effect).toBe('allow');
  });
  it('requires approval for a sink after untrusted content', async () => {
    await engine.decide(req({ name: 'browse', labels: ['untrusted-content'] }, s('3')));
    expect((await engine.decide(req({ name: 'post', labels: ['writes:external'] }, s('3')))).effect).toBe(
      'require_approval',
    );
  });
  it('a denied source call does not taint', async () => {
    const strict = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'send', effect: 'allow', tools: ['send'] },
        { id: 'no-egress', effect: 'deny', tools: ['*'], labels: ['egress'], taintedBy: ['reads:pii'] },
      ],
    });
    expect((await strict.decide(req({ name: 'read_crm', labels: ['reads:pii'] }, s('4')))).effect).toBe('deny');
    expect((await strict.decide(req({ name: 'send', labels: ['egress'] }, s('4')))).effect).toBe('allow');
  });
});
