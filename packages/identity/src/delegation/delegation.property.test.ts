import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { issueCredential } from '../credential/credential.js';
import { signDelegationUnchecked } from './delegation.js';
import { verifyChain } from './chain.js';
import type { ArgConstraint } from './constraints.js';
import { type Rights, rightsAllow } from './rights.js';
import { createIdentity } from '../key/identity.js';

const T = 1_780_000_000; // NumericDate seconds
const authority = createIdentity();
const anchors = createTrustAnchors([authority.id]);
const agents = Array.from({ length: 6 }, () => createIdentity());

type Mutable = {
  tools: string[];
  scopes: string[];
  args: Record<string, ArgConstraint>;
  maxCalls?: number;
  nbf: number;
  exp: number;
};

const glob = fc
  .array(fc.constantFrom('a', 'b', '.', '*'), { minLength: 1, maxLength: 4 })
  .map((c) => c.join('').replace(/\*+/g, '*'));
const path = fc.array(fc.constantFrom('d', 'e', 'x'), { maxLength: 2 }).map((s) => `/${s.join('/')}`);
const constraint: fc.Arbitrary<ArgConstraint> = fc
  .record(
    {
      max: fc.integer({ min: 0, max: 10 }),
      oneOf: fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 6 }),
      prefix: fc.uniqueArray(path, { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
  .filter((c) => Object.keys(c).length > 0);
const randomRights: fc.Arbitrary<Mutable> = fc
  .record({
    tools: fc.uniqueArray(glob, { minLength: 1, maxLength: 3 }),
    scopes: fc.subarray(['r', 'w', 'x']),
    args: fc.dictionary(fc.constantFrom('n', 'p'), constraint, { maxKeys: 2 }),
    maxCalls: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    nbf: fc.integer({ min: T - 50, max: T }),
    exp: fc.integer({ min: T + 100, max: T + 1000 }),
  })
  .map((r) => {
    const { maxCalls, ...rest } = r;
    return maxCalls === undefined ? rest : { ...rest, maxCalls };
  });

/** A child built by narrowing operations only (so most chains are valid). */
function narrowed(parent: Mutable): fc.Arbitrary<Mutable> {
  return fc
    .record({
      keep: fc.array(fc.boolean(), { minLength: parent.tools.length, maxLength: parent.tools.length }),
      special: fc.constantFrom('', 'a', 'b.'),
      scopes: fc.subarray(parent.scopes),
      cut: fc.integer({ min: 0, max: 3 }),
      deeper: fc.boolean(),
      calls: fc.integer({ min: 0, max: 5 }),
      exp: fc.integer({ min: 0, max: 50 }),
    })
    .map((k) => {
      let tools = parent.tools
        .filter((_, i) => k.keep[i])
        .map((t) => t.replace('*', `${k.special}*`).replace(/\*+/g, '*'));
      if (tools.length === 0) tools = [parent.tools[0] as string];
      tools = [...new Set(tools)];
      const args: Record<string, ArgConstraint> = {};
      for (const [name, c] of Object.entries(parent.args)) {
        const n: { max?: number; oneOf?: number[]; prefix?: string[] } = {};
        if (c.max !== undefined) n.max = c.max - k.cut;
        if (c.oneOf !== undefined) n.oneOf = c.oneOf.slice(0, Math.max(1, c.oneOf.length - k.cut)) as number[];
        if (c.prefix !== undefined)
          n.prefix = k.deeper ? c.prefix.map((p) => (p === '/' ? '/d' : `${p}/x`)) : [...c.prefix];
        args[name] = n;
      }
      const child: Mutable = {
        tools,
        scopes: k.scopes,
        args,
        nbf: parent.nbf,
        exp: Math.max(T + 10, parent.exp - k.exp),
      };
      if (parent.maxCalls !== undefined) child.maxCalls = Math.max(1, parent.maxCalls - k.calls);
      return child;
    });
}

function chainRights(depth: number, randomWeight = 1): fc.Arbitrary<Mutable[]> {
  let arb = randomRights.map((r) => [r]);
  for (let i = 0; i < depth; i++) {
    arb = arb.chain((links) => {
      const parent = links[links.length - 1] as Mutable;
      const child =
        randomWeight === 0
          ? narrowed(parent)
          : fc.oneof({ weight: 6, arbitrary: narrowed(parent) }, { weight: randomWeight, arbitrary: randomRights });
      return child.map((c) => [...links, c]);
    });
  }
  return arb;
}

const call = fc.record({
  tool: fc.array(fc.constantFrom('a', 'b', '.'), { minLength: 1, maxLength: 4 }).map((c) => c.join('')),
  args: fc.record({ n: fc.integer({ min: -1, max: 11 }), p: fc.oneof(path, fc.constant('/d/../e')) }),
  at: fc.integer({ min: T - 60, max: T + 1100 }),
  scopes: fc.subarray(['r', 'w', 'x'], { maxLength: 1 }),
});

async function build(links: Mutable[]): Promise<string[]> {
  const root = links[0] as Mutable;
  const tokens = [
    await issueCredential({
      issuer: authority,
      subject: (agents[0] as (typeof agents)[0]).id,
      name: 'r',
      owner: 'o',
      environment: 'e',
      riskTier: 'high',
      tools: root.tools,
      scopes: root.scopes,
      args: root.args,
      ...(root.maxCalls === undefined ? {} : { maxCalls: root.maxCalls }),
      nowMs: root.nbf * 1000,
      ttlMs: (root.exp - root.nbf) * 1000,
    }),
  ];
  for (let i = 1; i < links.length; i++) {
    const l = links[i] as Mutable;
    tokens.push(
      await signDelegationUnchecked({
        delegator: agents[i - 1] as (typeof agents)[0],
        parent: tokens[i - 1] as string,
        claims: { sub: (agents[i] as (typeof agents)[0]).id, jti: `link-${i}-0000`, iat: l.nbf, ...l },
      }),
    );
  }
  return tokens;
}

describe('delegation chains (property)', () => {
  it('effective rights = intersection of all links, and never more than the root', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }).chain(chainRights),
        fc.array(call, { minLength: 20, maxLength: 20 }),
        async (links, calls) => {
          const result = await verifyChain(await build(links), { anchors, nowMs: T * 1000, maxDepth: 4 });
          if (!result.ok) {
            expect(['ERR_IDENTITY_DELEGATION_WIDENS']).toContain(result.code);
            return;
          }
          accepted++;
          for (const c of calls) {
            const effective = rightsAllow(result.rights, c);
            const every = links.every((l) => rightsAllow(l as Rights, c));
            expect(effective).toBe(every);
            if (effective) expect(rightsAllow(links[0] as Rights, c)).toBe(true);
            // Soundness of the link-by-link check: an accepted link never allows what its parent refuses.
            for (let i = 1; i < links.length; i++) {
              if (rightsAllow(links[i] as Rights, c)) expect(rightsAllow(links[i - 1] as Rights, c)).toBe(true);
            }
          }
          // The call budget is the smallest of all budgets set, so never above the root's.
          const budgets = links.flatMap((l) => (l.maxCalls === undefined ? [] : [l.maxCalls]));
          expect(result.rights.maxCalls).toBe(budgets.length === 0 ? undefined : Math.min(...budgets));
        },
      ),
      { numRuns: 80 },
    );
    expect(accepted).toBeGreaterThan(10);
  });

  it('a link that widens any one field is refused with ERR_IDENTITY_DELEGATION_WIDENS naming that field and link', async () => {
    const fields = ['tools', 'scopes', 'args', 'maxCalls', 'nbf', 'exp'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 3 })
          .chain((depth) =>
            fc.tuple(chainRights(depth, 0), fc.integer({ min: 1, max: depth }), fc.constantFrom(...fields)),
          ),
        async ([links, index, wanted]) => {
          const parent = links[index - 1] as Mutable;
          const child: Mutable = { ...(links[index] as Mutable), args: { ...(links[index] as Mutable).args } };
          const n = parent.args.n;
          const p = parent.args.p;
          // Widen `wanted` when this parent lets it be widened, else fall back to the expiry.
          let field: string = 'exp';
          if (wanted === 'tools' && !parent.tools.includes('*')) {
            child.tools = [...child.tools, 'zz'];
            field = 'tools';
          } else if (wanted === 'scopes') {
            child.scopes = [...child.scopes, 'z'];
            field = 'scopes';
          } else if (wanted === 'args' && n?.max !== undefined) {
            child.args.n = { ...child.args.n, max: n.max + 1 };
            field = 'args.n.max';
          } else if (wanted === 'args' && p?.prefix !== undefined && !p.prefix.includes('/')) {
            child.args.p = { ...child.args.p, prefix: ['/'] };
            field = 'args.p.prefix';
          } else if (wanted === 'maxCalls' && parent.maxCalls !== undefined) {
            child.maxCalls = parent.maxCalls + 1;
            field = 'maxCalls';
          } else if (wanted === 'nbf') {
            child.nbf = parent.nbf - 1;
            field = 'nbf';
          } else {
            child.exp = parent.exp + 1;
          }
          const widened = [...links.slice(0, index), child, ...links.slice(index + 1)];
          const result = await verifyChain(await build(widened), { anchors, nowMs: T * 1000, maxDepth: 4 });
          expect(result).toMatchObject({ ok: false, code: 'ERR_IDENTITY_DELEGATION_WIDENS', index, field });
        },
      ),
      { numRuns: 60 },
    );
  });
});
