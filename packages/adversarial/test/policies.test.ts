/**
 * Invariant: a policy (or policy test file) is read one way only: text through the strict JSON parser
 * (duplicate member names, `__proto__`, excess depth and size refused with typed errors), objects through
 * one read-once copy (getters, Proxies, class instances refused), and every decision is made on one copy of
 * the request, so no two readers, and no two rules, can see different values.
 */
import {
  createPolicyEngine,
  type PolicyError,
  parsePolicy,
  parsePolicyTestFileText,
  parsePolicyText,
  policyHash,
} from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const agent = { id: 'did:key:z6MkAgent', name: 'bot' };

function codeOf(fn: () => unknown): { code: string; cause?: string; message: string } {
  try {
    fn();
  } catch (error) {
    const e = error as PolicyError & { cause?: { code?: string } };
    return { code: e.code, message: e.message, ...(e.cause?.code === undefined ? {} : { cause: e.cause.code }) };
  }
  throw new Error('expected a throw');
}

describe('one strict JSON reader', () => {
  it('refuses "effect":"deny","effect":"allow" instead of reading allow', () => {
    const text = '{"version":1,"rules":[{"id":"r","tools":["*"],"effect":"deny","effect":"allow"}]}';
    expect(codeOf(() => parsePolicyText(text))).toMatchObject({
      code: 'ERR_POLICY_INVALID',
      cause: 'ERR_STATEMENT_JSON_DUPLICATE_KEY',
    });
  });

  it.each([
    ['__proto__', '{"version":1,"rules":[],"__proto__":{"mode":"off"}}', 'ERR_STATEMENT_JSON_FORBIDDEN_KEY'],
    [
      'deep nesting',
      `{"version":1,"rules":[{"id":"r","effect":"allow","tools":["t"],"when":{"/x":{"eq":${'['.repeat(40)}${']'.repeat(40)}}}}]}`,
      'ERR_STATEMENT_JSON_TOO_DEEP',
    ],
    ['lone surrogate', '{"version":1,"id":"\\ud800","rules":[]}', 'ERR_STATEMENT_JSON_PARSE'],
    ['trailing comma', '{"version":1,"rules":[],}', 'ERR_STATEMENT_JSON_PARSE'],
    ['byte-order mark', '\ufeff{"version":1,"rules":[]}', 'ERR_STATEMENT_JSON_PARSE'],
  ])('refuses %s with a typed error', (_name, text, cause) => {
    expect(codeOf(() => parsePolicyText(text))).toMatchObject({ code: 'ERR_POLICY_INVALID', cause });
  });

  it('refuses an oversized text before parsing it', () => {
    expect(codeOf(() => parsePolicyText('{"version":1,"rules":[]}', { maxBytes: 10 }))).toMatchObject({
      code: 'ERR_POLICY_INVALID',
      cause: 'ERR_STATEMENT_JSON_TOO_LARGE',
    });
  });

  it('reads policy test files strictly too', () => {
    const text = '{"cases":[{"name":"a","agent":"x","tool":"t","expect":"deny","expect":"allow"}]}';
    expect(codeOf(() => parsePolicyTestFileText(text))).toMatchObject({
      code: 'ERR_POLICY_INVALID',
      cause: 'ERR_STATEMENT_JSON_DUPLICATE_KEY',
    });
  });

  it('refuses getters, Proxies that answer differently, class instances and __proto__ keys in policy objects', () => {
    let reads = 0;
    const tricky = {
      version: 1,
      rules: [
        {
          id: 'r',
          tools: ['*'],
          get effect() {
            reads++;
            return reads === 1 ? 'deny' : 'allow';
          },
        },
      ],
    };
    expect(codeOf(() => parsePolicy(tricky)).message).toMatch(/rules\[0\]\.effect: an accessor property/);
    const proto = JSON.parse('{"version":1,"rules":[],"__proto__":{"mode":"off"}}') as unknown;
    expect(codeOf(() => parsePolicy(proto)).message).toMatch(/__proto__/);
    expect(codeOf(() => parsePolicy({ version: 1, rules: [], id: new String('x') })).code).toBe('ERR_POLICY_INVALID');
    const cyclic: Record<string, unknown> = { version: 1, rules: [] };
    cyclic.self = cyclic;
    expect(codeOf(() => parsePolicy(cyclic)).code).toBe('ERR_POLICY_INVALID');
    // A Proxy is read once: what was validated is what the engine holds.
    let n = 0;
    const rule = new Proxy({ id: 'r', tools: ['t'], effect: 'deny' } as Record<string, unknown>, {
      getOwnPropertyDescriptor(target, key) {
        const d = Reflect.getOwnPropertyDescriptor(target, key);
        if (key === 'effect' && d !== undefined) return { ...d, value: n++ === 0 ? 'deny' : 'allow' };
        return d;
      },
    });
    const policy = parsePolicy({ version: 1, rules: [{ id: 'base', effect: 'allow', tools: ['t'] }, rule] });
    const held = policy.rules[1]?.effect;
    expect(Object.isFrozen(policy.rules[1])).toBe(true);
    expect(policy.rules[1]?.effect).toBe(held);
    return createPolicyEngine(policy)
      .decide({ agent, tool: { name: 't' }, args: {} })
      .then((d) => expect(d.effect).toBe(held === 'deny' ? 'deny' : 'allow'));
  });

  const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const ruleArb = fc.record({
    id,
    effect: fc.constantFrom('allow', 'deny', 'require_approval'),
    tools: fc.array(
      fc.stringMatching(/^[a-z_*]{1,8}$/).filter((g) => !g.includes('**')),
      { minLength: 1, maxLength: 3 },
    ),
    reason: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  });
  const policyArb = fc.uniqueArray(ruleArb, { selector: (r) => r.id, minLength: 1, maxLength: 5 }).map((rules) => ({
    version: 1,
    rules: rules.map((r) => (r.reason === undefined ? { id: r.id, effect: r.effect, tools: r.tools } : r)),
  }));

  it('fuzz: strict text reading agrees with the object path, and any duplicated member anywhere is refused', () => {
    fc.assert(
      fc.property(policyArb, fc.nat(), fc.constantFrom('"deny"', '"allow"', '1', 'null', '["*"]'), (doc, at, value) => {
        const text = JSON.stringify(doc);
        expect(policyHash(parsePolicyText(text))).toBe(policyHash(parsePolicy(doc)));
        // Repeat the first member of the (at mod n)-th object with another value.
        const opens = [...text.matchAll(/\{"([^"]+)":/g)];
        const open = opens[at % opens.length] as RegExpMatchArray;
        const index = (open.index as number) + 1;
        const twice = `${text.slice(0, index)}"${open[1]}":${value},${text.slice(index)}`;
        expect(codeOf(() => parsePolicyText(twice))).toMatchObject({
          code: 'ERR_POLICY_INVALID',
          cause: 'ERR_STATEMENT_JSON_DUPLICATE_KEY',
        });
      }),
      fuzzParams(),
    );
  });
});

describe('one value per decision', () => {
  const policy = {
    version: 1,
    rules: [
      { id: 'data', effect: 'allow' as const, tools: ['read'], when: { '/path': { pathPrefix: ['/srv/data'] } } },
      { id: 'etc', effect: 'deny' as const, tools: ['read'], when: { '/path': { pathPrefix: ['/etc'] } } },
    ],
  };

  it('refuses arguments with a getter (which could show each rule another path): deny, with the reason', async () => {
    let reads = 0;
    const args = {
      get path() {
        reads++;
        return reads % 2 === 1 ? '/srv/data/a' : '/etc/passwd';
      },
    };
    const d = await createPolicyEngine(policy).decide({ agent, tool: { name: 'read' }, args });
    expect(d.effect).toBe('deny');
    expect(d.reason).toMatch(/accessor/);
  });

  it('refuses a request whose fields are getters', async () => {
    let reads = 0;
    const tool = {
      get name() {
        return reads++ === 0 ? 'read' : 'delete';
      },
    };
    const d = await createPolicyEngine(policy).decide({ agent, tool, args: { path: '/srv/data/a' } });
    expect(d.effect).toBe('deny');
  });

  it('fuzz: alternative encodings of one number decide alike (eq, in, min, max)', async () => {
    const engine = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'eq', effect: 'allow', tools: ['a'], when: { '/n': { eq: 0 } } },
        { id: 'range', effect: 'allow', tools: ['b'], when: { '/n': { min: 0, max: 100 } } },
        { id: 'in', effect: 'allow', tools: ['c'], when: { '/n': { in: [1, 100] } } },
      ],
    });
    const decide = async (tool: string, n: unknown) =>
      (await engine.decide({ agent, tool: { name: tool }, args: { n } })).effect;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          0,
          -0,
          1,
          100,
          1e2,
          100.0000000000001,
          -1e-300,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          '0',
          '100',
        ),
        async (n) => {
          const num = typeof n === 'number' && Number.isFinite(n);
          expect(await decide('a', n)).toBe(num && n === 0 ? 'allow' : 'deny');
          expect(await decide('b', n)).toBe(num && n >= 0 && n <= 100 ? 'allow' : 'deny');
          expect(await decide('c', n)).toBe(num && (n === 1 || n === 100) ? 'allow' : 'deny');
        },
      ),
      fuzzParams(),
    );
  });
});
