import { canonicalize, sha256Hex } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../errors.js';
import { parsePolicy, policyHash } from './parse.js';

const valid = {
  version: 1,
  id: 'p',
  rules: [
    { id: 'r1', effect: 'allow', tools: ['read_*'] },
    { id: 'r2', effect: 'deny', agents: ['evil-*'], tools: ['*'], reason: 'no' },
  ],
};

function issuesOf(json: unknown): readonly { path: string; message: string }[] {
  try {
    parsePolicy(json);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('ERR_POLICY_INVALID');
    return (error as PolicyError).issues;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy', () => {
  it('returns the document unchanged and frozen', () => {
    const policy = parsePolicy(valid);
    expect(policy).toEqual(valid);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
    expect(Object.isFrozen(valid)).toBe(false);
  });

  it('names the path of a bad effect', () => {
    const json = { version: 1, rules: [valid.rules[0], valid.rules[1], { id: 'x', effect: 'permit', tools: ['a'] }] };
    expect(issuesOf(json)).toEqual([
      { path: 'rules[2].effect', message: 'expected "allow" | "deny" | "require_approval"' },
    ]);
    expect(() => parsePolicy(json)).toThrow(/rules\[2\]\.effect: expected "allow" \| "deny"/);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 'policy', '$', /expected object/],
    ['null', null, '$', /expected object/],
    ['missing version', { rules: [] }, 'version', /expected 1/],
    ['version 2', { version: 2, rules: [] }, 'version', /expected 1/],
    ['rules not an array', { version: 1, rules: {} }, 'rules', /expected array/],
    ['unknown top-level field', { version: 1, rules: [], rule: [] }, 'rule', /unknown field/],
    [
      'unknown rule field',
      { version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['x'], tool: 'y' }] },
      'rules[0].tool',
      /unknown field/,
    ],
    ['missing tools', { version: 1, rules: [{ id: 'a', effect: 'allow' }] }, 'rules[0].tools', /expected array/],
    ['empty tools', { version: 1, rules: [{ id: 'a', effect: 'allow', tools: [] }] }, 'rules[0].tools', /1/],
    ['empty glob', { version: 1, rules: [{ id: 'a', effect: 'allow', tools: [''] }] }, 'rules[0].tools[0]', /1/],
    [
      '? in a tool pattern (one tool-name grammar)',
      { version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['pay?'] }] },
      'rules[0].tools[0]',
      /tool pattern/,
    ],
    [
      'a space in a tool pattern',
      { version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['fs read'] }] },
      'rules[0].tools[0]',
      /tool pattern/,
    ],
    [
      '** in a limit',
      { version: 1, rules: [], limits: [{ id: 'l', tools: ['fs.**'], rate: { calls: 2, windowMs: 60_000 } }] },
      'limits[0].tools[0]',
      /tool pattern/,
    ],
    [
      'numeric id',
      { version: 1, rules: [{ id: 7, effect: 'allow', tools: ['x'] }] },
      'rules[0].id',
      /expected string, received number/,
    ],
    ['bad mode', { version: 1, mode: 'audit', rules: [] }, 'mode', /"enforce" \| "monitor" \| "off"/],
    [
      'long glob',
      { version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['x'.repeat(257)] }] },
      'rules[0].tools[0]',
      /256/,
    ],
    [
      'duplicate ids',
      {
        version: 1,
        rules: [
          { id: 'a', effect: 'allow', tools: ['x'] },
          { id: 'a', effect: 'deny', tools: ['y'] },
        ],
      },
      'rules[1].id',
      /duplicate id "a" \(first used at rules\[0\]\)/,
    ],
    ['explicit undefined', { version: 1, id: undefined, rules: [] }, 'id', /undefined/],
  ])('rejects %s', (_name, json, path, message) => {
    const issues = issuesOf(json);
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('lists every problem, not only the first', () => {
    const issues = issuesOf({ version: 3, rules: [{ id: 'a', effect: 'x', tools: ['t'] }], extra: true });
    expect(issues.map((i) => i.path).sort()).toEqual(['extra', 'rules[0].effect', 'version']);
  });
});

describe('policyHash', () => {
  it('is sha256 of the JCS form, independent of key order', () => {
    const policy = parsePolicy(valid);
    expect(policyHash(policy)).toBe(`sha256:${sha256Hex(new TextEncoder().encode(canonicalize(valid)))}`);
    const reordered = parsePolicy({ rules: valid.rules, id: 'p', version: 1 });
    expect(policyHash(reordered)).toBe(policyHash(policy));
    expect(policyHash(policy)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('changes when any rule changes', () => {
    const other = parsePolicy({ ...valid, rules: [{ ...valid.rules[0], tools: ['read_x'] }, valid.rules[1]] });
    expect(policyHash(other)).not.toBe(policyHash(parsePolicy(valid)));
  });
});

describe('validate once', () => {
  it('reuses a parsed policy and still validates anything else, even a look-alike', async () => {
    const { ensurePolicy } = await import('./parse.js');
    const parsed = parsePolicy(valid);
    expect(ensurePolicy(parsed)).toBe(parsed);
    const copy = JSON.parse(JSON.stringify(parsed)) as typeof parsed;
    expect(ensurePolicy(copy)).not.toBe(copy);
    expect(() => ensurePolicy({ ...parsed, version: 2 })).toThrow(PolicyError);
  });
});
