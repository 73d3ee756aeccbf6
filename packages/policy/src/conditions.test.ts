import { describe, expect, it } from 'vitest';
import type { DecisionRequest } from './decision.js';
import { createPolicyEngine } from './engine.js';
import type { Condition } from './schema.js';

const agent = { id: 'did:key:z6MkAgent', name: 'bot' };

/** An engine with one allow rule and one deny rule on the same condition, to see both sides of fail-closed. */
async function decideWith(condition: Condition, args: unknown): Promise<{ allow: string; deny: string }> {
  const allowEngine = createPolicyEngine({
    version: 1,
    rules: [{ id: 'c', effect: 'allow', tools: ['t'], when: { '/x': condition } }],
  });
  const denyEngine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'base', effect: 'allow', tools: ['t'] },
      { id: 'c', effect: 'deny', tools: ['t'], when: { '/x': condition } },
    ],
  });
  const request: DecisionRequest = { agent, tool: { name: 't' }, args };
  return {
    allow: (await allowEngine.decide(request)).effect,
    deny: (await denyEngine.decide(request)).effect,
  };
}

// [name, condition, x value (undefined = absent), holds: true | false | 'undecided']
const table: [string, Condition, unknown, boolean | 'undecided'][] = [
  ['eq number', { eq: 5 }, 5, true],
  ['eq deep object, other key order', { eq: { a: 1, b: [2] } }, { b: [2], a: 1 }, true],
  ['eq mismatch', { eq: 'a' }, 'b', false],
  ['eq on missing', { eq: 'a' }, undefined, false],
  ['in', { in: ['a', 'b'] }, 'b', true],
  ['in miss', { in: ['a', 'b'] }, 'c', false],
  ['glob', { glob: ['*.pdf'] }, 'x.pdf', true],
  ['glob miss', { glob: ['*.pdf'] }, 'x.exe', false],
  ['glob on number', { glob: ['*'] }, 5, 'undecided'],
  ['regex', { regex: '^[a-z]+$' }, 'abc', true],
  ['regex miss', { regex: '^[a-z]+$' }, 'ab1', false],
  ['regex i', { regex: '^abc$', regexFlags: 'i' }, 'ABC', true],
  ['regex on huge input', { regex: 'a' }, 'a'.repeat(70_000), 'undecided'],
  ['min/max', { min: 0, max: 100 }, 100, true],
  ['max exceeded', { min: 0, max: 100 }, 100.5, false],
  ['min on string', { min: 0 }, '5', 'undecided'],
  ['NaN is not a number', { min: 0 }, Number.NaN, 'undecided'],
  ['maxLength', { maxLength: 3 }, 'abc', true],
  ['maxLength exceeded', { maxLength: 3 }, 'abcd', false],
  ['minLength', { minLength: 2 }, 'a', false],
  ['maxItems', { maxItems: 2 }, [1, 2], true],
  ['maxItems exceeded', { maxItems: 2 }, [1, 2, 3], false],
  ['minItems on object', { minItems: 1 }, { 0: 1 }, 'undecided'],
  ['pathPrefix inside', { pathPrefix: ['/srv/data'] }, '/srv/data/a.txt', true],
  ['pathPrefix with ..', { pathPrefix: ['/srv/data'] }, '/srv/data/../../etc/passwd', false],
  ['pathPrefix sibling', { pathPrefix: ['/srv/data'] }, '/srv/database', false],
  ['pathPrefix duplicate slashes', { pathPrefix: ['/srv/data'] }, '//srv//data//a', true],
  ['pathPrefix backslash ..', { pathPrefix: ['/srv/data'] }, '/srv/data/..\\..\\etc', false],
  ['pathPrefix relative', { pathPrefix: ['/srv/data'] }, 'data/a', 'undecided'],
  ['pathPrefix NUL', { pathPrefix: ['/srv/data'] }, '/srv/data/a\0', 'undecided'],
  ['urlHost', { urlHost: ['api.example.com'] }, 'https://api.example.com/v1', true],
  ['urlHost case and trailing dot', { urlHost: ['api.example.com'] }, 'https://API.Example.com./v1', true],
  ['urlHost wildcard', { urlHost: ['*.example.com'] }, 'https://a.b.example.com/', true],
  ['urlHost userinfo trick', { urlHost: ['api.example.com'] }, 'https://api.example.com@evil.com/', false],
  ['urlHost suffix trick', { urlHost: ['*.example.com'] }, 'https://example.com.evil.com/', false],
  ['urlHost not a URL', { urlHost: ['*'] }, 'not a url', 'undecided'],
  ['exists true', { exists: true }, 0, true],
  ['exists true, missing', { exists: true }, undefined, false],
  ['exists false, missing', { exists: false }, undefined, true],
  ['exists false, present', { exists: false }, 1, false],
];

describe('argument conditions', () => {
  it.each(table)('%s', async (_name, condition, x, holds) => {
    const got = await decideWith(condition, x === undefined ? {} : { x });
    // holds: allow rule applies, deny rule applies. Undecided: the allow does not apply but the deny does.
    const expected =
      holds === true
        ? { allow: 'allow', deny: 'deny' }
        : holds === false
          ? { allow: 'deny', deny: 'allow' }
          : { allow: 'deny', deny: 'deny' };
    expect(got).toEqual(expected);
  });

  it('says in the reason why an undecided condition applied a deny', async () => {
    const engine = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'base', effect: 'allow', tools: ['fetch'] },
        { id: 'hosts', effect: 'deny', tools: ['fetch'], when: { '/url': { urlHost: ['evil.com'] } } },
      ],
    });
    const d = await engine.decide({ agent, tool: { name: 'fetch' }, args: { url: 'nope' } });
    expect(d).toMatchObject({ effect: 'deny', ruleId: 'hosts' });
    expect(d.reason).toMatch(/undecided, so applied: \/url: not a URL/);
  });

  it('never reads the prototype chain through a pointer', async () => {
    const d = await decideWith({ exists: true }, {});
    expect(d.allow).toBe('deny');
    const engine = createPolicyEngine({
      version: 1,
      rules: [{ id: 'p', effect: 'allow', tools: ['t'], when: { '/constructor': { exists: true } } }],
    });
    expect((await engine.decide({ agent, tool: { name: 't' }, args: {} })).effect).toBe('deny');
  });

  it.each<[string, unknown, RegExp]>([
    ['bad pointer', { x: { eq: 1 } }, /rules\[0\]\.when\.x: JSON pointer must start with "\/"/],
    ['empty condition', { '/x': {} }, /rules\[0\]\.when\["\/x"\]: a condition needs at least one test/],
    ['unknown test', { '/x': { equals: 1 } }, /rules\[0\]\.when\["\/x"\]\.equals: unknown field/],
    [
      'backreference',
      { '/x': { regex: '(a)\\1' } },
      /rules\[0\]\.when\["\/x"\]\.regex: backreferences are not supported/,
    ],
    ['lookahead', { '/x': { regex: '(?=a)' } }, /regex: lookaround/],
    ['relative pathPrefix', { '/x': { pathPrefix: ['tmp'] } }, /pathPrefix\[0\]/],
    ['flags without regex', { '/x': { regexFlags: 'i', eq: 1 } }, /regexFlags: "regexFlags" needs "regex"/],
  ])('rejects %s at parse time, naming the path', (_name, when, message) => {
    expect(() => createPolicyEngine({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['t'], when }] })).toThrow(
      message,
    );
  });
});

describe('symlink resolution hook', () => {
  const rules = [{ id: 'data', effect: 'allow', tools: ['read'], when: { '/path': { pathPrefix: ['/srv/data'] } } }];
  const links: Record<string, string> = { '/srv/data/link': '/etc/passwd', '/srv/data/a': '/srv/data/a' };
  const engine = createPolicyEngine(
    { version: 1, rules },
    {
      resolvePath: async (p) => {
        const real = links[p];
        if (real === undefined) throw new Error('ENOENT');
        return real;
      },
    },
  );
  const read = (path: string) => engine.decide({ agent, tool: { name: 'read' }, args: { path } });

  it('checks the real path, so a link out of the directory is not allowed', async () => {
    expect((await read('/srv/data/a')).effect).toBe('allow');
    expect((await read('/srv/data/link')).effect).toBe('deny');
    expect((await read('/srv/data/./link')).effect).toBe('deny');
  });

  it('does not allow a path it cannot resolve', async () => {
    expect((await read('/srv/data/missing')).effect).toBe('deny');
  });
});
