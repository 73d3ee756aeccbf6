import { describe, expect, it } from 'vitest';
import type { DecisionRequest } from '../engine/decision.js';
import { createPolicyEngine } from '../engine/engine.js';
import type { Condition } from '../document/schema.js';

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
  // `..` is resolved by the OS after symbolic links, so the text alone cannot place it.
  ['pathPrefix with ..', { pathPrefix: ['/srv/data'] }, '/srv/data/../../etc/passwd', 'undecided'],
  ['pathPrefix .. back inside', { pathPrefix: ['/srv/data'] }, '/srv/data/x/../a', 'undecided'],
  ['pathPrefix sibling', { pathPrefix: ['/srv/data'] }, '/srv/database', false],
  ['pathPrefix duplicate slashes', { pathPrefix: ['/srv/data'] }, '//srv//data//a', true],
  // `\` is a character on POSIX and a separator on Windows: undecided either way.
  ['pathPrefix backslash ..', { pathPrefix: ['/srv/data'] }, '/srv/data/..\\..\\etc', 'undecided'],
  ['pathPrefix backslash back inside', { pathPrefix: ['/srv/data'] }, '/srv/secret/x\\..\\..\\data\\n', 'undecided'],
  ['pathPrefix case variant', { pathPrefix: ['/srv/data'] }, '/srv/DATA/a', 'undecided'],
  ['pathPrefix percent-encoded dots', { pathPrefix: ['/srv/data'] }, '/srv/data/%2e%2e/x', 'undecided'],
  ['pathPrefix trailing slash', { pathPrefix: ['/srv/data/'] }, '/srv/data/', true],
  ['pathPrefix windows', { pathPrefix: ['C:\\data'], pathStyle: 'windows' }, 'c:/DATA\\a.txt', true],
  ['pathPrefix windows outside', { pathPrefix: ['C:\\data'], pathStyle: 'windows' }, 'C:\\database\\a', false],
  ['pathPrefix windows short name', { pathPrefix: ['C:\\data'], pathStyle: 'windows' }, 'C:\\PROGRA~1\\a', 'undecided'],
  ['pathPrefix windows stream', { pathPrefix: ['C:\\data'], pathStyle: 'windows' }, 'C:\\data\\a:b', 'undecided'],
  ['pathPrefix relative', { pathPrefix: ['/srv/data'] }, 'data/a', 'undecided'],
  ['pathPrefix NUL', { pathPrefix: ['/srv/data'] }, '/srv/data/a\0', 'undecided'],
  ['urlHost', { urlHost: ['api.example.com'] }, 'https://api.example.com/v1', true],
  ['urlHost case and trailing dot', { urlHost: ['api.example.com'] }, 'https://API.Example.com./v1', true],
  ['urlHost wildcard', { urlHost: ['*.example.com'] }, 'https://a.b.example.com/', true],
  // Userinfo, `\` and `%` in the authority are read differently by different parsers: never allowed.
  ['urlHost userinfo trick', { urlHost: ['api.example.com'] }, 'https://api.example.com@evil.com/', 'undecided'],
  ['urlHost backslash trick', { urlHost: ['api.example.com'] }, 'http://api.example.com\\@evil.com/', 'undecided'],
  ['urlHost percent host', { urlHost: ['api.example.com'] }, 'https://api%2eexample.com/', 'undecided'],
  ['urlHost one slash', { urlHost: ['api.example.com'] }, 'https:/api.example.com/', 'undecided'],
  ['urlHost tab in host', { urlHost: ['api.example.com'] }, 'https://api.exa\tmple.com/', 'undecided'],
  ['urlHost port', { urlHost: ['api.example.com'] }, 'https://api.example.com:8443/x', true],
  ['urlHost default port', { urlHost: ['api.example.com'] }, 'https://api.example.com:443/x', true],
  ['urlHost javascript scheme', { urlHost: ['*'] }, 'javascript://api.example.com/%0aalert(1)', 'undecided'],
  ['urlHost IPv4-mapped', { urlHost: ['127.0.0.1'] }, 'http://[::ffff:7f00:1]/', 'undecided'],
  ['urlHost hex IPv4', { urlHost: ['127.0.0.1'] }, 'http://0x7f.1/', 'undecided'],
  ['urlIp loopback', { urlIp: ['loopback'] }, 'http://127.0.0.1:8080/', true],
  ['urlIp mapped loopback', { urlIp: ['loopback'] }, 'http://[::ffff:7f00:1]/', true],
  ['urlIp hex loopback', { urlIp: ['loopback'] }, 'http://0x7f.1/', 'undecided'],
  ['urlIp metadata', { urlIp: ['metadata'] }, 'http://169.254.169.254/latest/meta-data/', true],
  ['urlIp name', { urlIp: ['non-public'] }, 'https://api.example.com/', false],
  ['urlIp localhost', { urlIp: ['loopback'] }, 'http://localhost:3000/', true],
  ['urlIp public', { urlIp: ['non-public'] }, 'https://93.184.216.34/', false],
  ['ip decimal', { ip: ['loopback'] }, '2130706433', true],
  ['ip octal', { ip: ['loopback'] }, '0177.0.0.1', true],
  ['ip NAT64', { ip: ['private'] }, '64:ff9b::10.0.0.1', true],
  ['ip zone', { ip: ['link-local'] }, 'fe80::1%eth0', true],
  ['ip CIDR', { ip: ['10.1.0.0/16'] }, '10.1.2.3', true],
  ['ip name', { ip: ['non-public'] }, 'example.com', false],
  ['ip with port', { ip: ['non-public'] }, '127.0.0.1:80', 'undecided'],
  ['ip bad number', { ip: ['non-public'] }, '127.0.0.256', 'undecided'],
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
