import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../engine/engine.js';
import { runPolicyTests, policyTestFileSchema } from './policy-tests.js';
import { type Observation, suggestPolicy } from './suggest.js';

const A = 'did:key:z6MkAgentA';
const B = 'did:key:z6MkAgentB';

describe('suggestPolicy', () => {
  const observed: Observation[] = [
    { agent: A, tool: 'transfer', args: { amount: 20, currency: 'EUR', to: { iban: 'DE1' }, memo: 'x' } },
    { agent: A, tool: 'transfer', args: { amount: 75, currency: 'EUR', to: { iban: 'DE2' } } },
    { agent: A, tool: 'read_file', args: { path: '/srv/data/a/1.txt' } },
    { agent: A, tool: 'read_file', args: { path: '/srv/data/b/./2.txt' } },
    { agent: B, tool: 'fetch', args: { url: 'https://api.example.com/x', ids: [1, 2] } },
    { agent: B, tool: 'secret_tool' },
  ];
  const policy = suggestPolicy(observed);

  it('writes one allow rule per agent and tool, narrowed by what was seen', () => {
    expect(policy.rules.map((r) => [r.id, r.agents, r.tools])).toEqual([
      ['allow-transfer', [A], ['transfer']],
      ['allow-read_file', [A], ['read_file']],
      ['allow-fetch', [B], ['fetch']],
      ['allow-secret_tool', [B], ['secret_tool']],
    ]);
    expect(policy.rules[0]?.when).toEqual({
      '/amount': { min: 20, max: 75 },
      '/currency': { in: ['EUR'] },
      '/to/iban': { in: ['DE1', 'DE2'] },
    });
    expect(policy.rules[1]?.when).toEqual({ '/path': { pathPrefix: ['/srv/data'] } });
    expect(policy.rules[2]?.when).toEqual({ '/ids': { maxItems: 2 }, '/url': { urlHost: ['api.example.com'] } });
    expect(policy.rules[3]?.when).toBeUndefined();
    expect(policy.rules[3]?.reason).toMatch(/arguments not recorded/);
  });

  it('allows every observed call and little else', async () => {
    const engine = createPolicyEngine(policy);
    for (const o of observed) {
      const d = await engine.decide({
        agent: { id: o.agent, name: o.agent },
        tool: { name: o.tool },
        args: o.args ?? {},
      });
      expect(d.effect, JSON.stringify(o)).toBe('allow');
    }
    const more = await engine.decide({
      agent: { id: A, name: A },
      tool: { name: 'transfer' },
      args: { amount: 76, currency: 'EUR', to: { iban: 'DE1' } },
    });
    expect(more.effect).toBe('deny');
    const other = await engine.decide({
      agent: { id: B, name: B },
      tool: { name: 'transfer' },
      args: observed[0]?.args,
    });
    expect(other.effect).toBe('deny');
  });

  it('uses hosts and lengths when values are many', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({
      agent: A,
      tool: 'get',
      args: { url: `https://h${i % 2}.example.com/p${i}`, q: `query ${i}` },
    }));
    expect(suggestPolicy(many).rules[0]?.when).toEqual({
      '/q': { maxLength: 7 },
      '/url': { urlHost: ['h0.example.com', 'h1.example.com'] },
    });
  });

  it('always allows what it observed (property)', async () => {
    const argsArb = fc.record({
      n: fc.integer(),
      s: fc.string({ maxLength: 8 }),
      b: fc.boolean(),
      l: fc.array(fc.nat(), { maxLength: 4 }),
    });
    const obs = fc.array(
      fc.record({ agent: fc.constantFrom(A, B), tool: fc.constantFrom('t1', 't2'), args: argsArb }),
      { minLength: 1, maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(obs, async (list) => {
        const engine = createPolicyEngine(suggestPolicy(list));
        for (const o of list) {
          const d = await engine.decide({
            agent: { id: o.agent, name: o.agent },
            tool: { name: o.tool },
            args: o.args,
          });
          if (d.effect !== 'allow') return false;
        }
        return true;
      }),
      { numRuns: 100 },
    );
  });
});

describe('runPolicyTests', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'read', effect: 'allow', tools: ['read_*'] },
      { id: 'pay', effect: 'require_approval', tools: ['pay'] },
      { id: 'never-used', effect: 'deny', tools: ['nuke'] },
    ],
  });
  const file = policyTestFileSchema.parse({
    version: 1,
    cases: [
      { name: 'reads', agent: 'bot', tool: 'read_file', expect: 'allow' },
      {
        name: 'pays',
        agent: { id: 'bot', scopes: ['x'] },
        tool: { name: 'pay', tags: ['payment'] },
        args: { amount: 5 },
        expect: { effect: 'require_approval', ruleId: 'pay' },
      },
      { name: 'wrong', agent: 'bot', tool: 'write_file', expect: { effect: 'allow', ruleId: 'read' } },
    ],
  });
  it('reports passes, failures with what differed, and uncovered rules', async () => {
    const report = await runPolicyTests(engine, file.cases);
    expect(report.passed).toBe(2);
    expect(report.failed).toBe(1);
    expect(report.results[2]?.problems).toEqual([
      'effect: expected allow, got deny',
      'ruleId: expected "read", got null',
    ]);
    expect(report.uncovered).toEqual(['never-used']);
  });
  it('rejects malformed fixture files', () => {
    expect(
      policyTestFileSchema.safeParse({ cases: [{ name: 'x', agent: 'a', tool: 't', expect: 'maybe' }] }).success,
    ).toBe(false);
    expect(policyTestFileSchema.safeParse({ cases: [] }).success).toBe(false);
    expect(
      policyTestFileSchema.safeParse({ cases: [{ name: 'x', agent: 'a', tool: 't', expect: 'allow', extra: 1 }] })
        .success,
    ).toBe(false);
  });
});
