import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecisionRequest } from './decision.js';
import { createPolicyEngine } from './engine.js';
import { policyHash } from '../document/parse.js';
import type { Policy } from '../document/schema.js';

const agent = { id: 'did:key:z6MkAgent', name: 'support-bot' };
const call = (tool: string, who = agent): DecisionRequest => ({ agent: who, tool: { name: tool }, args: {} });

const policy = {
  version: 1,
  id: 'test',
  rules: [
    { id: 'read', effect: 'allow', tools: ['read_*'] },
    { id: 'secrets', effect: 'deny', tools: ['read_secret*'], reason: 'secrets are off limits' },
    { id: 'support-write', effect: 'allow', agents: ['support-*'], tools: ['write_ticket'] },
  ],
} as const;

describe('createPolicyEngine', () => {
  const engine = createPolicyEngine(policy);

  it('exposes the frozen policy and its hash', () => {
    expect(engine.hash).toBe(policyHash(engine.policy));
    expect(Object.isFrozen(engine)).toBe(true);
  });

  it('allows by rule and names it', async () => {
    const d = await engine.decide(call('read_file'));
    expect(d).toEqual({
      effect: 'allow',
      ruleId: 'read',
      reason: 'rule "read" allows tool "read_file" for agent "support-bot"',
      matched: ['read'],
      policyHash: engine.hash,
      mode: 'enforce',
    });
  });

  it('denies by default and says so', async () => {
    const d = await engine.decide(call('delete_file'));
    expect(d.effect).toBe('deny');
    expect(d.ruleId).toBeNull();
    expect(d.reason).toBe('no rule allows tool "delete_file" for agent "support-bot" (default deny)');
    expect(d.matched).toEqual([]);
  });

  it('lets deny override allow whatever the rule order', async () => {
    const d = await engine.decide(call('read_secret_key'));
    expect(d).toMatchObject({ effect: 'deny', ruleId: 'secrets', reason: 'secrets are off limits' });
    expect(d.matched).toEqual(['read', 'secrets']);
  });

  it('matches agents on id or name', async () => {
    expect((await engine.decide(call('write_ticket'))).effect).toBe('allow');
    const byId = await engine.decide(call('write_ticket', { id: 'support-7', name: 'x' }));
    expect(byId.effect).toBe('allow');
    const other = await engine.decide(call('write_ticket', { id: 'did:key:z6MkOther', name: 'billing' }));
    expect(other.effect).toBe('deny');
  });

  it.each<[string, unknown]>([
    ['null request', null],
    ['no tool', { agent }],
    ['tool name not a string', { agent, tool: { name: 5 }, args: {} }],
    ['no agent', { tool: { name: 'read_file' }, args: {} }],
    ['agent without name', { agent: { id: 'a' }, tool: { name: 'read_file' }, args: {} }],
    ['scopes as a string', { agent: { ...agent, scopes: 'admin,read' }, tool: { name: 'read_file' }, args: {} }],
    ['environment as a list', { agent: { ...agent, environment: ['prod'] }, tool: { name: 'read_file' }, args: {} }],
    ['negative delegation depth', { agent: { ...agent, delegationDepth: -1 }, tool: { name: 'read_file' }, args: {} }],
    ['tags as a string', { agent, tool: { name: 'read_file', tags: 'read' }, args: {} }],
    ['session without id', { agent, tool: { name: 'read_file' }, args: {}, session: {} }],
    ['NaN time', { agent, tool: { name: 'read_file' }, args: {}, nowMs: Number.NaN }],
    ['infinite time', { agent, tool: { name: 'read_file' }, args: {}, nowMs: Number.POSITIVE_INFINITY }],
    ['time as a Date', { agent, tool: { name: 'read_file' }, args: {}, nowMs: new Date(0) }],
    ['time outside the Date range', { agent, tool: { name: 'read_file' }, args: {}, nowMs: 9e15 }],
  ])('fails closed on %s: a deny decision, never a throw', async (_name, request) => {
    const d = await engine.decide(request as DecisionRequest);
    expect(d.effect).toBe('deny');
    expect(d.ruleId).toBeNull();
    expect(d.reason).toMatch(/^policy evaluation failed \(ERR_POLICY_EVALUATION\): /);
  });

  it('validates the policy it is given', () => {
    expect(() => createPolicyEngine({ version: 1, rules: [{ id: 'a', effect: 'allow' }] })).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_INVALID', message: expect.stringMatching(/rules\[0\]\.tools/) }),
    );
  });

  it('refuses a clock that is not a function', () => {
    expect(() => createPolicyEngine(policy, { clock: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => createPolicyEngine(policy, { clock: new Date() as unknown as () => number })).toThrow(/"clock"/);
  });

  it.each<[string, () => number]>([
    ['NaN', () => Number.NaN],
    ['Infinity', () => Number.POSITIVE_INFINITY],
    ['a Date', () => new Date() as unknown as number],
    [
      'a throw',
      () => {
        throw new Error('clock broken');
      },
    ],
  ])('denies with ERR_POLICY_EVALUATION when the clock returns %s', async (_name, clock) => {
    const broken = createPolicyEngine(policy, { clock });
    const d = await broken.decide({ agent, tool: { name: 'read_file' }, args: {} });
    expect(d.effect).toBe('deny');
    expect(d.reason).toMatch(/^policy evaluation failed \(ERR_POLICY_EVALUATION\): /);
    // An explicit nowMs does not read the clock.
    expect((await broken.decide({ agent, tool: { name: 'read_file' }, args: {}, nowMs: 0 })).effect).toBe('allow');
  });
});

const toolName = fc.stringMatching(/^[a-c_]{1,6}$/);
// Tool patterns in the one tool-name grammar: `*` only, never `**` (`?` is not part of it).
const glob = fc.stringMatching(/^[a-c_*]{1,5}$/).filter((g) => !g.includes('**'));
const whenArb = fc.option(
  fc
    .record({ min: fc.integer({ min: -5, max: 5 }), max: fc.integer({ min: -5, max: 5 }) }, { requiredKeys: [] })
    .filter((c) => Object.keys(c).length > 0)
    .map((c) => ({ '/n': c })),
  { nil: undefined },
);
const richRuleArb = (id: string) =>
  fc
    .record({
      id: fc.constant(id),
      effect: fc.constantFrom('allow', 'deny', 'require_approval'),
      tools: fc.array(glob, { minLength: 1, maxLength: 3 }),
      agents: fc.option(fc.constantFrom(['support-*'], ['billing'], ['*']), { nil: undefined }),
      when: whenArb,
      mode: fc.option(fc.constantFrom('enforce', 'monitor', 'off'), { nil: undefined }),
    })
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).filter(
          ([, v]) => v !== undefined && (typeof v !== 'object' || Object.keys(v).length > 0 || Array.isArray(v)),
        ),
      ),
    );
// Argument values include the wrong type and absence, which make conditions undecided or false.
const argsArb = fc.oneof(
  fc.record({ n: fc.integer({ min: -6, max: 6 }) }),
  fc.record({ n: fc.constant('3') }),
  fc.constant({}),
);
const whoArb = fc.constantFrom(agent, { id: 'did:key:z6MkOther', name: 'billing' });
const ruleArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    effect: fc.constantFrom('allow', 'deny', 'require_approval'),
    tools: fc.array(glob, { minLength: 1, maxLength: 3 }),
  });
const richRulesArb = fc
  .integer({ min: 0, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => richRuleArb(`r${i}`))));
const rulesArb = fc
  .integer({ min: 0, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`))));
const RANK = { allow: 0, require_approval: 1, deny: 2 } as const;
// Random policies often allow `*`, which the restraint self-test rightly refuses; these properties test combining.
const unchecked = { unsafeSkipSelfTest: true } as const;

describe('properties', () => {
  it('adding a deny rule never allows more (with agents, conditions, modes and undecided arguments)', async () => {
    await fc.assert(
      fc.asyncProperty(
        richRulesArb,
        fc.array(glob, { minLength: 1, maxLength: 3 }),
        toolName,
        whenArb,
        argsArb,
        whoArb,
        async (rules, tools, name, when, args, who) => {
          const before = createPolicyEngine({ version: 1, rules } as Policy, unchecked);
          const after = createPolicyEngine(
            {
              version: 1,
              rules: [...rules, { id: 'extra', effect: 'deny', tools, ...(when === undefined ? {} : { when }) }],
            } as Policy,
            unchecked,
          );
          const request = { agent: who, tool: { name }, args };
          const a = await before.decide(request);
          const b = await after.decide(request);
          return RANK[b.effect] >= RANK[a.effect];
        },
      ),
      { numRuns: 500 },
    );
  });

  it('denies by default any tool no rule names', async () => {
    const { compileGlob } = await import('../match/glob.js');
    await fc.assert(
      fc.asyncProperty(rulesArb, toolName, async (rules, name) => {
        fc.pre(!rules.some((r) => r.tools.some((g) => compileGlob(g)(name))));
        const engine = createPolicyEngine({ version: 1, rules } as Policy, unchecked);
        const d = await engine.decide(call(name));
        return d.effect === 'deny' && d.ruleId === null && d.reason.endsWith('(default deny)');
      }),
      { numRuns: 200 },
    );
  });

  it('decides the same as scanning every rule (the index loses nothing)', async () => {
    const { compileGlob } = await import('../match/glob.js');
    await fc.assert(
      fc.asyncProperty(rulesArb, toolName, async (rules, name) => {
        const engine = createPolicyEngine({ version: 1, rules } as Policy, unchecked);
        const d = await engine.decide(call(name));
        const matched = rules.filter((r) => r.tools.some((g) => compileGlob(g)(name))).map((r) => r.id);
        return JSON.stringify(d.matched) === JSON.stringify(matched);
      }),
      { numRuns: 300 },
    );
  });

  it('a policy in monitor mode never blocks, and reports what it would have done', async () => {
    await fc.assert(
      fc.asyncProperty(richRulesArb, toolName, argsArb, whoArb, async (rules, name, args, who) => {
        const enforced = createPolicyEngine({ version: 1, rules } as Policy, unchecked);
        const monitored = createPolicyEngine({ version: 1, mode: 'monitor', rules } as Policy, unchecked);
        const request = { agent: who, tool: { name }, args };
        const e = await enforced.decide(request);
        const m = await monitored.decide(request);
        // Monitor reports exactly what enforcing would block, including what monitored rules would.
        const wouldBlock = e.effect !== 'allow' || e.wouldDeny === true;
        return m.effect === 'allow' && (m.wouldDeny === true) === wouldBlock && m.mode === 'monitor';
      }),
      { numRuns: 300 },
    );
  });
});

describe('hold(): the concurrency slots of a call decided earlier', () => {
  const limited = {
    version: 1,
    rules: [{ id: 'work', effect: 'allow', tools: ['work'] }],
    limits: [{ id: 'cap', tools: ['work'], concurrency: 1, rate: { calls: 2, windowMs: 60_000 } }],
  };
  const call = (callId: string): DecisionRequest => ({
    agent: { id: 'did:key:z6MkAgent', name: 'agent' },
    tool: { name: 'work' },
    args: {},
    callId,
  });

  it('takes the slot when the call runs, denies when the cap is full, and counts the rate only once', async () => {
    const engine = createPolicyEngine(limited);
    const first = await engine.decide(call('a'));
    const second = await engine.decide(call('b'));
    expect(first.leases).toHaveLength(1);
    // b's decision was made while a held the only slot: it is a deny.
    expect(second).toMatchObject({ effect: 'deny', ruleId: 'cap' });
    await engine.release(first);
    // A decision kept for later (its slot given back), then held again when it runs.
    const { leases: _given, ...kept } = first;
    const held = await engine.hold(call('a'), kept);
    expect(held).toMatchObject({ effect: 'allow' });
    expect(held.leases).toHaveLength(1);
    await expect(engine.hold(call('a2'), kept)).resolves.toMatchObject({ effect: 'deny', ruleId: 'cap' });
    await engine.release(held);
    // hold() did not count the rate: a second call in the window is still allowed (2 calls per window).
    const another = await engine.decide(call('c'));
    expect(another).toMatchObject({ effect: 'allow' });
    await engine.release(another);
  });

  it('passes a deny through, and needs no slot where no limit applies', async () => {
    const engine = createPolicyEngine(limited);
    const deny = await engine.decide({ ...call('x'), tool: { name: 'other' } });
    await expect(engine.hold({ ...call('x'), tool: { name: 'other' } }, deny)).resolves.toBe(deny);
  });

  it('fails closed: a bad request is a deny, never a throw', async () => {
    const engine = createPolicyEngine(limited);
    const allow = await engine.decide(call('y'));
    await engine.release(allow);
    const held = await engine.hold({ ...call('y'), nowMs: Number.NaN }, allow);
    expect(held.effect).toBe('deny');
  });
});
