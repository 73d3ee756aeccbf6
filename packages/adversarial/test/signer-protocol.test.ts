/**
 * Invariant: the signer process (`agentguard signer serve --policy`) signs a call statement only when it names the
 * signer's own key, was issued within the clock skew and is valid no longer than the bound, and the signer's policy
 * allows it whatever the context the signer cannot see (tags, labels, taint, credential, agent name, session) and at
 * every instant the envelope is usable; every slot a decision takes comes back; no bytes a client sends crash it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PAYLOAD_TYPE, signCall } from '@agentguard/attestation';
import { pae, type JsonValue } from '@agentguard/statement';
import { createIdentity } from '@agentguard/identity';
import { connectSigner, saveKeyFile, serveSigner } from '@agentguard/identity/node';
import { createPolicyEngine, type DecisionRequest, parsePolicy } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { createSignerAuthorizer } from '../../cli/src/signer-policy.js';
import { signerPolicyProblems } from '../../cli/src/signer-policy-check.js';
import { fuzzParams } from './fuzz.js';

const self = createIdentity({ secretKey: new Uint8Array(32).fill(21) });
const other = createIdentity({ secretKey: new Uint8Array(32).fill(22) });
const T0 = Date.parse('2026-03-02T10:00:00.000Z'); // a Monday

async function statement(
  tool: string,
  args: JsonValue,
  options: { at?: number; ttlMs?: number; signer?: typeof self } = {},
): Promise<Uint8Array> {
  const signed = await signCall({
    signer: options.signer ?? self,
    callId: `c-${Math.random().toString(36).slice(2)}`,
    tool,
    args,
    policyHash: 'sha256:x',
    nowMs: options.at ?? T0,
    ttlMs: options.ttlMs ?? 60_000,
  });
  return pae(PAYLOAD_TYPE, signed.payload);
}

function authorizer(policy: unknown, clock = () => T0) {
  const parsed = parsePolicy(policy);
  const engine = createPolicyEngine(parsed);
  const hasSchedule = parsed.rules.some((r) => r.schedule !== undefined);
  const { limits: _l, ...rulesOnly } = parsed;
  return createSignerAuthorizer({
    engine,
    ...(hasSchedule ? { stateless: createPolicyEngine(rulesOnly) } : {}),
    self: self.id,
    clock,
  });
}

const runMain = (argv: string[], cwd: string) => runCli(argv, { cwd, signal: AbortSignal.abort() });

describe('signer decides without the context it needs (class 1)', () => {
  it('refuses to start with a rule on tags, naming the rule and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-adv-signer-'));
    await saveKeyFile(join(dir, 'k.jwk'), self);
    writeFileSync(
      join(dir, 'p.json'),
      JSON.stringify({
        version: 1,
        rules: [
          { id: 'ops', effect: 'allow', tools: ['*'] },
          { id: 'no-destructive', effect: 'deny', tools: ['*'], tags: ['destructive'] },
        ],
      }),
    );
    const r = await runMain(['signer', 'serve', '--stdio', '--key', 'k.jwk', '--policy', 'p.json'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rules[1] "no-destructive": "tags"');
  });

  it('names every field it cannot see: labels, taint, credential, agent names, session and credential limits', () => {
    const policy = parsePolicy({
      version: 1,
      rules: [
        { id: 'a', effect: 'deny', tools: ['x'], labels: ['egress'] },
        { id: 'b', effect: 'deny', tools: ['x'], taintedBy: ['reads:pii'] },
        { id: 'c', effect: 'allow', tools: ['x'], subject: { maxDelegationDepth: 0 } },
        { id: 'd', effect: 'deny', tools: ['x'], agents: ['intern-*'] },
      ],
      limits: [{ id: 'e', tools: ['x'], per: ['session'], rate: { calls: 1, windowMs: 1000 } }],
    });
    const fields = signerPolicyProblems(policy, self.id).map((p) => `${p.where}:${p.field}`);
    expect(fields).toEqual([
      'rules[0] "a":labels',
      'rules[1] "b":taintedBy',
      'rules[2] "c":subject',
      'rules[3] "d":agents',
      'limits[0] "e":per',
    ]);
  });

  it('refuses a statement issued hours ahead of its clock (a deploy inside a freeze window)', async () => {
    const freeze = { days: [1], from: '12:00', to: '14:00' };
    const authorize = authorizer({
      version: 1,
      rules: [
        { id: 'deploys', effect: 'allow', tools: ['deploy'] },
        { id: 'freeze', effect: 'deny', tools: ['deploy'], schedule: freeze },
      ],
    });
    const inFreeze = await authorize({
      message: await statement('deploy', {}, { at: T0 + 3 * 3_600_000 }),
      context: { args: {} },
    });
    expect(inFreeze.allow).toBe(false);
    expect(inFreeze.reason).toMatch(/issuedAt/);
    // Issued just before the freeze, but usable inside it.
    const late = authorizer(
      {
        version: 1,
        rules: [
          { id: 'deploys', effect: 'allow', tools: ['deploy'] },
          { id: 'freeze', effect: 'deny', tools: ['deploy'], schedule: freeze },
        ],
      },
      () => Date.parse('2026-03-02T11:59:30.000Z'),
    );
    const spanning = await late({
      message: await statement('deploy', {}, { at: Date.parse('2026-03-02T11:59:30.000Z'), ttlMs: 120_000 }),
      context: { args: {} },
    });
    expect(spanning.allow).toBe(false);
    expect((await authorize({ message: await statement('deploy', {}), context: { args: {} } })).allow).toBe(true);
  });

  it('refuses a statement naming another agent, and one valid for longer than the bound', async () => {
    const authorize = authorizer({ version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['add'] }] });
    const foreign = await authorize({ message: await statement('add', {}, { signer: other }), context: { args: {} } });
    expect(foreign).toMatchObject({ allow: false });
    const long = await authorize({ message: await statement('add', {}, { ttlMs: 3_600_000 }), context: { args: {} } });
    expect(long).toMatchObject({ allow: false });
    expect(await authorize({ message: await statement('add', {}), context: { args: {} } })).toMatchObject({
      allow: true,
    });
  });

  const toolArb = fc.constantFrom('deploy', 'add', 'read');
  // Rare: a field the signer cannot see (the policy is then refused at start).
  const rare = <T>(arb: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: arb, weight: 1 });
  const ruleArb = fc.record({
    effect: fc.constantFrom('allow', 'allow', 'deny', 'require_approval'),
    tools: fc.constantFrom(['*'], ['deploy'], ['add', 'read'], ['deploy', 'add']),
    when: fc.option(fc.record({ '/a': fc.record({ max: fc.integer({ min: 0, max: 10 }) }) }), { nil: undefined }),
    schedule: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      {
        arbitrary: fc.record({
          from: fc.constantFrom('08:00', '09:59', '10:00', '10:01', '10:02'),
          to: fc.constantFrom('10:01', '10:02', '10:03', '12:00'),
        }),
        weight: 1,
      },
    ),
    tags: rare(fc.constant(['destructive'])),
    agents: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 6 },
      { arbitrary: fc.constant([self.id]), weight: 2 },
      { arbitrary: fc.constantFrom(['bot'], [other.id]), weight: 1 },
    ),
    subject: rare(fc.constant({ maxDelegationDepth: 0 })),
  });
  const policyArb = fc
    .record({
      rules: fc.array(ruleArb, { minLength: 1, maxLength: 4 }),
      rate: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      concurrency: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    })
    .map(({ rules, rate, concurrency }) => {
      const limits = [
        ...(rate === undefined ? [] : [{ id: 'rate', tools: ['*'], rate: { calls: rate, windowMs: 60_000 } }]),
        ...(concurrency === undefined ? [] : [{ id: 'cc', tools: ['*'], concurrency }]),
      ];
      return parsePolicy({
        version: 1,
        rules: rules.map((r, i) => ({ id: `r${i}`, ...JSON.parse(JSON.stringify(r)) })),
        ...(limits.length > 0 ? { limits } : {}),
      });
    });
  const callArb = fc.record({
    tool: toolArb,
    a: fc.integer({ min: 0, max: 12 }),
    offsetMs: fc.oneof(fc.integer({ min: -40_000, max: 40_000 }), fc.integer({ min: -7_200_000, max: 7_200_000 })),
    ttlMs: fc.constantFrom(1_000, 60_000, 240_000, 600_000),
    foreign: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
    // Context only the agent process has: the signer never sees it.
    tags: fc.constantFrom([], ['destructive']),
    name: fc.constantFrom(self.id, 'bot', 'other'),
    depth: fc.integer({ min: 0, max: 2 }),
  });

  it('fuzz: never signs what the same policy with full context would deny', async () => {
    let signedCount = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(callArb, { minLength: 1, maxLength: 6 }), async (policy, calls) => {
        if (signerPolicyProblems(policy, self.id).length > 0) return; // refused at start: signs nothing
        let engine: ReturnType<typeof createPolicyEngine>;
        try {
          engine = createPolicyEngine(policy);
        } catch {
          return; // the self-test refuses it: the signer does not start either
        }
        const authorize = authorizer(policy);
        const reference = createPolicyEngine(policy); // full context, one call at a time (slots released)
        const { limits: _l, ...rulesOnly } = policy;
        const stateless = createPolicyEngine(rulesOnly);
        void engine;
        for (const c of calls) {
          const at = T0 + c.offsetMs;
          const verdict = await authorize({
            message: await statement(c.tool, { a: c.a }, { at, ttlMs: c.ttlMs, signer: c.foreign ? other : self }),
            context: { args: { a: c.a } },
          });
          if (!verdict.allow) continue;
          signedCount++;
          // Issued within the skew of the signer's clock: a verifier with the same skew accepts it only now.
          expect(Math.abs(at - T0)).toBeLessThanOrEqual(30_000);
          const request: DecisionRequest = {
            agent: { id: self.id, name: c.name, delegationDepth: c.depth },
            tool: { name: c.tool, tags: c.tags },
            args: { a: c.a },
          };
          const now = await reference.decide({ ...request, nowMs: at });
          await reference.release(now);
          expect(now.effect === 'allow' && now.wouldDeny !== true).toBe(true);
          // Allowed at every instant the envelope is usable (issuedAt - skew to expiresAt + skew).
          for (const t of [at - 30_000, at + c.ttlMs / 2, at + c.ttlMs, at + c.ttlMs + 30_000]) {
            const later = await stateless.decide({ ...request, nowMs: t });
            expect(later.effect === 'allow' && later.wouldDeny !== true).toBe(true);
          }
        }
      }),
      fuzzParams(),
    );
    // The search reached signatures (the property is not vacuous).
    expect(signedCount).toBeGreaterThan(0);
  });
});

describe('signer concurrency slots come back (class 2)', () => {
  const policy = {
    version: 1,
    rules: [{ id: 'deploys', effect: 'allow', tools: ['deploy'] }],
    limits: [{ id: 'one-at-a-time', tools: ['deploy'], concurrency: 2 }],
  };

  it('signs five sequential deploys under concurrency: 2', async () => {
    const authorize = authorizer(policy);
    const verdicts = [];
    for (let i = 0; i < 5; i++) {
      verdicts.push((await authorize({ message: await statement('deploy', {}), context: { args: {} } })).allow);
    }
    expect(verdicts).toEqual([true, true, true, true, true]);
  });

  it('policy test gives slots back between cases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-adv-slots-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify(policy));
    const cases = Array.from({ length: 5 }, (_, i) => ({
      name: `d${i}`,
      agent: 'a',
      tool: 'deploy',
      args: {},
      expect: 'allow',
    }));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ version: 1, cases }));
    const r = await runMain(['policy', 'test', 'p.json', 'c.json'], dir);
    expect(r.stdout).toContain('5 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('fuzz: any number of sequential signatures under any cap are all signed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 8 }), async (cap, n) => {
        const authorize = authorizer({ ...policy, limits: [{ id: 'cap', tools: ['*'], concurrency: cap }] });
        for (let i = 0; i < n; i++) {
          expect((await authorize({ message: await statement('deploy', {}), context: { args: {} } })).allow).toBe(true);
        }
      }),
      fuzzParams(50),
    );
  });
});

describe('signer protocol survives any client (class 1, sibling)', () => {
  it('a client spawning a command that does not exist gets ERR_IDENTITY_SIGNER_UNAVAILABLE, not a crash', async () => {
    await expect(
      connectSigner({ command: '/nonexistent/agentguard-signer' }, { timeoutMs: 5_000 }),
    ).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGNER_UNAVAILABLE',
    });
  });

  it('a late answer to a timed-out request does not break the connection', async () => {
    const toClient = new PassThrough();
    const toServer = new PassThrough();
    const server = serveSigner({
      identity: self,
      input: toServer,
      output: toClient,
      authorize: async ({ context }) => {
        if ((context as { slow?: boolean } | undefined)?.slow === true) await new Promise((r) => setTimeout(r, 300));
        return true;
      },
    });
    const client = await connectSigner({ input: toClient, output: toServer }, { expect: self.id, timeoutMs: 100 });
    await expect(client.sign(new Uint8Array([1]), { slow: true })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGNER_UNAVAILABLE',
    });
    await new Promise((r) => setTimeout(r, 400));
    await expect(client.sign(new Uint8Array([2]))).resolves.toBeInstanceOf(Uint8Array);
    await client.close();
    await server.close();
  });

  it('fuzz: random bytes never crash the server and never get a signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), async (chunks) => {
        const input = new PassThrough();
        const output = new PassThrough();
        const frames: Buffer[] = [];
        output.on('data', (b: Buffer) => frames.push(b));
        const server = serveSigner({ identity: self, input, output, authorize: () => false });
        for (const c of chunks) input.write(c);
        input.end();
        await server.closed;
        expect(Buffer.concat(frames).toString('latin1')).not.toContain('"signature"');
      }),
      fuzzParams(),
    );
  });

  it('a client pipelining past the bound is hung up on', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const frames: Buffer[] = [];
    output.on('data', (b: Buffer) => frames.push(b));
    const server = serveSigner({ identity: self, input, output, authorize: () => new Promise(() => {}) });
    const frame = (id: number) => {
      const body = Buffer.from(JSON.stringify({ id, message: 'AQ', op: 'sign', v: 1 }));
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    input.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(i + 1))));
    await server.closed;
    expect(Buffer.concat(frames).toString('utf8')).toContain('requests waiting');
  });
});

describe('signer limits count at its own clock, not the statement time the agent picks', () => {
  const policy = {
    version: 1,
    rules: [{ id: 'pay', effect: 'allow', tools: ['pay'] }],
    limits: [{ id: 'one-per-5s', tools: ['pay'], rate: { calls: 1, windowMs: 5_000 } }],
  };

  it('statements spread over the skew at one instant get one signature under a 1-per-5s limit', async () => {
    const authorize = authorizer(policy);
    let signed = 0;
    for (let off = -29_000; off <= 29_000; off += 5_000) {
      const message = await statement('pay', { amount: 100 }, { at: T0 + off });
      if ((await authorize({ message, context: { args: { amount: 100 } } })).allow) signed += 1;
    }
    expect(signed).toBe(1);
  });

  it('fuzz: whatever issuedAt offsets within the skew, at most the limit is signed per window of the signer clock', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -29_000, max: 29_000 }), { minLength: 1, maxLength: 12 }),
        async (offsets) => {
          const authorize = authorizer(policy);
          let signed = 0;
          for (const off of offsets) {
            const message = await statement('pay', { amount: 1 }, { at: T0 + off });
            if ((await authorize({ message, context: { args: { amount: 1 } } })).allow) signed += 1;
          }
          expect(signed).toBe(1);
        },
      ),
      fuzzParams(40),
    );
  });
});
