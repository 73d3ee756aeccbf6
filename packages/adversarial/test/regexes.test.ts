/**
 * Invariant: a policy regex costs bounded work: compiling any pattern text is refused or finishes within
 * fixed bounds (length, counts, nesting, states), and matching never takes more than the decision's work
 * budget; a search cut short by the budget decides nothing, so an allow rule does not apply and a deny rule does.
 */
import {
  createPolicyEngine,
  MAX_DECISION_WORK,
  MAX_REGEX_STATES,
  type PolicyError,
  parsePolicy,
} from '@agentguard/policy';
// The regex compiler is not public API; the suite holds it to its limits directly.
import { compileSafeRegex } from '../../policy/src/match/safe-regex.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const agent = { id: 'did:key:z6MkAgent', name: 'bot' };

function refused(pattern: string): boolean {
  try {
    compileSafeRegex(pattern);
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(SyntaxError);
    return true;
  }
}

describe('a tiny regex hangs policy loading', () => {
  it.each([
    '(?:){99999999999999}',
    'a{100000000}',
    '(?:){1001}',
    '((?:){1000}){1000}',
    '((?:a?){1000}){1000}',
    '(?:a{0,1000}){0,1000}',
    `${'('.repeat(40)}a${')'.repeat(40)}`,
    'x{2,99999999999999999999}',
  ])('refuses %j at parse time', (pattern) => {
    expect(refused(pattern)).toBe(true);
  });

  it('refuses the pattern in parsePolicy with the JSON path of the regex', () => {
    const policy = {
      version: 1,
      rules: [{ id: 'r', effect: 'allow', tools: ['t'], when: { '/x': { regex: '(?:){99999999999999}' } } }],
    };
    expect(() => parsePolicy(policy)).toThrow(/rules\[0\]\.when\["\/x"\]\.regex: quantifier count over 1000/);
    try {
      parsePolicy(policy);
    } catch (error) {
      expect((error as PolicyError).code).toBe('ERR_POLICY_INVALID');
    }
  });

  it('one 64 KiB argument against .{0,1000}x is cut off by the budget: undecided, so the deny applies', async () => {
    const deny = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'base', effect: 'allow', tools: ['t'] },
        { id: 'rx', effect: 'deny', tools: ['t'], when: { '/x': { regex: '.{0,1000}x' } } },
      ],
    });
    const allow = createPolicyEngine({
      version: 1,
      rules: [{ id: 'rx', effect: 'allow', tools: ['t'], when: { '/x': { regex: '.{0,1000}y' } } }],
    });
    const args = { x: 'a'.repeat(65_536) };
    const d = await deny.decide({ agent, tool: { name: 't' }, args });
    expect(d.effect).toBe('deny');
    expect(d.reason).toMatch(/work budget/);
    const a = await allow.decide({ agent, tool: { name: 't' }, args });
    expect(a.effect).toBe('deny');
    expect(a.reason).toMatch(/default deny; undecided: \/x: matching work budget/);
  });

  it('the budget is per decision: many rules on one big argument share it', async () => {
    const rules = Array.from({ length: 50 }, (_, i) => ({
      id: `r${i}`,
      effect: 'deny' as const,
      tools: ['t'],
      when: { '/x': { regex: `[a-z]{0,50}${i}` } },
    }));
    const engine = createPolicyEngine({ version: 1, rules: [{ id: 'base', effect: 'allow', tools: ['t'] }, ...rules] });
    const d = await engine.decide({ agent, tool: { name: 't' }, args: { x: 'a'.repeat(60_000) } });
    expect(d.effect).toBe('deny');
  });

  type Ast = { p: string; js: string };
  const tree = fc.letrec<{ node: Ast }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<Ast>(
        { p: 'a', js: 'a' },
        { p: 'b', js: 'b' },
        { p: '.', js: '.' },
        { p: '[ab]', js: '[ab]' },
        { p: '', js: '' },
      ),
      fc.tuple(tie('node'), tie('node')).map(([x, y]) => ({ p: x.p + y.p, js: x.js + y.js })),
      fc.tuple(tie('node'), tie('node')).map(([x, y]) => ({ p: `(?:${x.p}|${y.p})`, js: `(?:${x.js}|${y.js})` })),
      fc
        .tuple(
          tie('node'),
          fc.constantFrom('*', '+', '?', '{2}', '{0,3}', '{1,}', '{1000}', '{0,1000}', '{99999999}', '{1001,}'),
        )
        .map(([x, q]) => ({ p: `(?:${x.p})${q}`, js: `(?:${x.js})${q}` })),
    ),
  })).node;

  it('fuzz: any pattern compiles or is refused; a search uses at most its budget, and when it answers it agrees with RegExp', () => {
    fc.assert(
      fc.property(tree, fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 12 }), (ast, input) => {
        let re: ReturnType<typeof compileSafeRegex>;
        try {
          re = compileSafeRegex(ast.p);
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
          return;
        }
        const budget = { remaining: MAX_DECISION_WORK };
        const found = re.search(input, budget);
        const spent = MAX_DECISION_WORK - budget.remaining;
        // Thompson simulation: each position enters each state at most once and tests it at most once.
        expect(spent).toBeLessThanOrEqual(2 * MAX_REGEX_STATES * (input.length + 1));
        if (found !== undefined && !/\{(?:1000|99999999|1001,)|\{0,1000\}/.test(ast.js)) {
          expect(found, `${ast.p} on ${JSON.stringify(input)}`).toBe(new RegExp(ast.js).test(input));
        }
        // A tiny budget is exhausted, never exceeded by more than one position's work, and decides nothing.
        const tiny = { remaining: 3 };
        const small = re.search(input, tiny);
        if (small === undefined) expect(tiny.remaining).toBe(0);
      }),
      fuzzParams(),
    );
  });
});
