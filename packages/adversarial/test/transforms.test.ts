/**
 * Invariant: one value flows through a guarded call. Whatever the tool's schema does to the arguments
 * (defaults, trims, coercions, transforms), the value the tool receives has exactly the digest the policy
 * decided on, the approval bound and the audit log recorded, and a deny rule that matches the schema's output
 * always denies. The call envelope binds the arguments as received (`inputDigest` when they differ).
 */
import { digestArgs, freezeArgs, createApproval } from '@agentguard/attestation';
import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { type ApprovalRequest, createGuard } from '@agentguard/core';
import { createIdentity, type Signer } from '@agentguard/identity';
import { fromBase64 } from '@agentguard/statement';
import { createPolicyEngine } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FUZZ_RUNS, fuzzParams } from './fuzz.js';

const alice = createIdentity({ name: 'alice (approver)' });

type Rec = { type: string; callId: string; data: Record<string, unknown> };

/**
 * A guard's own calls carry a call envelope only when its signer is in another process (an identity of this
 * process is authenticated by its signed request record): `elsewhere` puts the signer behind the bare Signer
 * interface, as a signer process looks, so the envelope's binding is tested too.
 */
function setup(rules: unknown[], tool: string, schema: z.ZodType, approver = false, elsewhere = false) {
  const approved: string[] = [];
  const identity = createIdentity({ name: 'agent' });
  const sink = createMemorySink();
  const engine = createPolicyEngine({ version: 1, rules });
  const signer: Signer = elsewhere
    ? { id: identity.id, keyId: identity.keyId, publicKey: identity.publicKey, sign: (m, c) => identity.sign(m, c) }
    : identity;
  const ag = createGuard({
    identity: signer,
    policy: engine,
    audit: createAuditLog({ sink }),
    approvals: {
      approvers: [alice.id],
      ...(approver
        ? {
            approver: async (req: ApprovalRequest) => {
              const approval = await createApproval(
                { callId: req.callId, tool: req.tool, args: req.args, policyHash: req.policyHash },
                { approver: alice },
              );
              // The approval binds the args as its one subject's SHA-256 (an in-toto Statement).
              approved.push(
                `sha256:${payloadOf<{ subject: [{ digest: { sha256: string } }] }>(approval).subject[0].digest.sha256}`,
              );
              return approval;
            },
          }
        : {}),
    },
  });
  const received: unknown[] = [];
  const guarded = ag.guard({
    name: tool,
    schema,
    execute: (args: unknown) => {
      received.push(args);
      return 'ran';
    },
  });
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type !== 'checkpoint');
  return { identity, sink, engine, guarded, received, records, approved };
}

function payloadOf<T>(envelope: unknown): T {
  const payload = (envelope as { payload: string }).payload;
  return JSON.parse(new TextDecoder().decode(fromBase64(payload))) as T;
}

function statementDigest(envelope: unknown): string {
  return payloadOf<{ predicate: { argsDigest: string } }>(envelope).predicate.argsDigest;
}

describe('the tool runs on what was decided (schemas that transform)', () => {
  it('a deny rule on a field the schema defaults is not bypassed by omitting the field', async () => {
    const schema = z.object({ path: z.string(), recursive: z.boolean().default(true) });
    const rules = [
      { id: 'no-recursive', effect: 'deny', tools: ['rm'], when: { '/recursive': { eq: true } } },
      { id: 'rm', effect: 'allow', tools: ['rm'] },
    ];
    const { guarded, received } = setup(rules, 'rm', schema);
    const outcome = await guarded.safeRun({ path: '/data' });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED', ruleId: 'no-recursive' } });
    expect(received).toEqual([]);
  });

  it('a regex deny rule is not bypassed by spaces the schema trims', async () => {
    const schema = z.object({ sql: z.string().trim() });
    const rules = [
      { id: 'no-drop', effect: 'deny', tools: ['query'], when: { '/sql': { regex: '^DROP', regexFlags: 'i' } } },
      { id: 'query', effect: 'allow', tools: ['query'] },
    ];
    const { guarded, received } = setup(rules, 'query', schema);
    const outcome = await guarded.safeRun({ sql: '   DROP TABLE users' });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED', ruleId: 'no-drop' } });
    expect(received).toEqual([]);
  });

  it('a numeric limit is not bypassed by a string the schema coerces', async () => {
    const schema = z.object({ amount: z.coerce.number() });
    const rules = [{ id: 'small', effect: 'allow', tools: ['pay'], when: { '/amount': { max: 100 } } }];
    const { guarded, received } = setup(rules, 'pay', schema);
    expect(await guarded.safeRun({ amount: '5000' })).toMatchObject({
      ok: false,
      denial: { code: 'ERR_GUARD_POLICY_DENIED' },
    });
    expect(await guarded.safeRun({ amount: '50' })).toMatchObject({ ok: true });
    expect(received).toEqual([{ amount: 50 }]);
  });

  for (const elsewhere of [false, true]) {
    it(`records the run value and its digest, ${elsewhere ? 'the envelope binds' : 'the signed record names'} the args as received, and the log verifies`, async () => {
      const schema = z.object({ q: z.string().trim(), limit: z.number().default(10) });
      const { guarded, received, records, sink, identity } = setup(
        [{ id: 'search', effect: 'allow', tools: ['search'] }],
        'search',
        schema,
        false,
        elsewhere,
      );
      await guarded.run({ q: '  cats  ' }, { callId: 'c-1' });
      expect(received).toEqual([{ q: 'cats', limit: 10 }]);
      expect(Object.isFrozen(received[0])).toBe(true);
      const requested = records().find((r) => r.type === 'call.requested') as Rec;
      expect(requested.data.args).toEqual({ q: 'cats', limit: 10 });
      expect(requested.data.argsDigest).toBe(digestArgs({ q: 'cats', limit: 10 }));
      expect(requested.data.inputDigest).toBe(digestArgs({ q: '  cats  ' }));
      if (elsewhere) expect(statementDigest(requested.data.envelope)).toBe(requested.data.inputDigest);
      else expect(requested.data.envelope).toBeUndefined();
      expect(verifyLog(sink.text(), { trust: [identity.id] }).ok).toBe(true);
    });
  }

  it('an approval binds the run value: one signed over the args as received is refused', async () => {
    const schema = z.object({ to: z.string().trim(), amount: z.number() });
    const rules = [{ id: 'human', effect: 'require_approval', tools: ['refund'] }];
    const { guarded, received, engine } = setup(rules, 'refund', schema);
    const raw = { to: '  acct-1 ', amount: 5 };
    const first = await guarded.safeRun(raw, { callId: 'r-1' });
    expect(first).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_APPROVAL_REQUIRED' } });
    const overRaw = await createApproval(
      { callId: 'r-1', tool: 'refund', args: raw, policyHash: engine.hash },
      { approver: alice },
    );
    expect(await guarded.safeRun(raw, { callId: 'r-1', approval: overRaw })).toMatchObject({
      ok: false,
      denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' },
    });
    expect(received).toEqual([]);
    const overValue = await createApproval(
      { callId: 'r-2', tool: 'refund', args: { to: 'acct-1', amount: 5 }, policyHash: engine.hash },
      { approver: alice },
    );
    await guarded.safeRun(raw, { callId: 'r-2' });
    expect(await guarded.safeRun(raw, { callId: 'r-2', approval: overValue })).toMatchObject({ ok: true });
    expect(received).toEqual([{ to: 'acct-1', amount: 5 }]);
  });

  it('check() decides on the run value, and its parked decision is keyed by the run digest', async () => {
    const schema = z.object({ path: z.string(), recursive: z.boolean().default(true) });
    const rules = [
      { id: 'no-recursive', effect: 'deny', tools: ['rm'], when: { '/recursive': { eq: true } } },
      { id: 'rm', effect: 'allow', tools: ['rm'] },
    ];
    const { guarded, received } = setup(rules, 'rm', schema);
    expect(await guarded.check({ path: '/data' }, { callId: 'k-1' })).toMatchObject({ effect: 'deny' });
    // Written differently, the same run value: the run is refused as check() said.
    expect(await guarded.safeRun({ path: '/data', recursive: true }, { callId: 'k-1' })).toMatchObject({ ok: false });
    expect(await guarded.check({ path: '/data', recursive: false }, { callId: 'k-2' })).toMatchObject({
      effect: 'allow',
    });
    expect(await guarded.safeRun({ path: '/data', recursive: false }, { callId: 'k-2' })).toMatchObject({ ok: true });
    expect(received).toEqual([{ path: '/data', recursive: false }]);
  });

  it('refuse() records the run value digest and the received digest', async () => {
    const schema = z.object({ q: z.string().trim() });
    const rules = [{ id: 'human', effect: 'require_approval', tools: ['ask'] }];
    const { guarded, records } = setup(rules, 'ask', schema, false, true);
    await guarded.refuse({ q: ' x ' }, { callId: 'f-1', reason: 'no' });
    const requested = records().find((r) => r.type === 'call.requested') as Rec;
    expect(requested.data.argsDigest).toBe(digestArgs({ q: 'x' }));
    expect(requested.data.inputDigest).toBe(digestArgs({ q: ' x ' }));
    expect(statementDigest(requested.data.envelope)).toBe(requested.data.inputDigest);
  });

  it('a schema whose output is not plain JSON is refused with ERR_GUARD_SCHEMA_OUTPUT_INVALID, before anything runs', async () => {
    const schema = z.object({ when: z.string().transform((s) => new Date(s)) });
    const { guarded, received, records } = setup([{ id: 'all', effect: 'allow', tools: ['at'] }], 'at', schema);
    const outcome = await guarded.safeRun({ when: '2025-01-01' });
    expect(outcome).toMatchObject({
      ok: false,
      denial: { code: 'ERR_GUARD_SCHEMA_OUTPUT_INVALID', outcome: 'invalid' },
    });
    expect(!outcome.ok && outcome.denial.reason).toContain('instance of Date');
    expect(received).toEqual([]);
    expect(records().map((r) => r.type)).toEqual(['call.invalid']);
    expect(await guarded.check({ when: '2025-01-01' })).toMatchObject({ code: 'ERR_GUARD_SCHEMA_OUTPUT_INVALID' });
  });

  // Field kinds: a schema and what a model might send for it (often right, sometimes missing or wrong-typed).
  const kinds: Array<{ schema: () => z.ZodType; input: fc.Arbitrary<unknown> }> = [
    { schema: () => z.string().trim(), input: fc.string({ maxLength: 8 }).map((s) => `  ${s} `) },
    { schema: () => z.string().toLowerCase(), input: fc.string({ maxLength: 8 }) },
    { schema: () => z.boolean().default(true), input: fc.option(fc.boolean(), { nil: undefined }) },
    { schema: () => z.number().default(7), input: fc.option(fc.integer(), { nil: undefined }) },
    { schema: () => z.coerce.number(), input: fc.oneof(fc.integer().map(String), fc.integer(), fc.constant('x')) },
    { schema: () => z.string().transform((s) => s.length), input: fc.string({ maxLength: 8 }) },
    {
      schema: () => z.array(z.string().trim()).default([]),
      input: fc.option(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), { nil: undefined }),
    },
    { schema: () => z.string().optional(), input: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }) },
    {
      schema: () => z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.string()),
      input: fc.jsonValue({ maxDepth: 1 }),
    },
  ];
  const fieldArb = fc.record({
    kind: fc.nat({ max: kinds.length - 1 }),
    wrong: fc.option(fc.jsonValue({ maxDepth: 1 }), { freq: 6, nil: undefined }),
  });

  it('fuzz: the tool receives exactly the decided, approved and recorded value; a deny on the output denies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fieldArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('allow', 'deny-output', 'approval'),
        fc.nat(),
        fc.gen(),
        async (fields, effect, pick, gen) => {
          const shape: Record<string, z.ZodType> = {};
          const raw: Record<string, unknown> = {};
          fields.forEach((f, i) => {
            const kind = kinds[f.kind] as (typeof kinds)[number];
            shape[`f${i}`] = kind.schema();
            const value = f.wrong ?? gen(() => kind.input);
            if (value !== undefined) raw[`f${i}`] = value;
          });
          const schema = z.object(shape);
          const expected = schema.safeParse(structuredClone(raw));
          const target = `f${pick % fields.length}`;
          const output = expected.success ? (expected.data as Record<string, unknown>)[target] : undefined;
          const rules: unknown[] = [];
          if (effect === 'deny-output' && output !== undefined) {
            rules.push({ id: 'deny-output', effect: 'deny', tools: ['t'], when: { [`/${target}`]: { eq: output } } });
          }
          rules.push({ id: 'main', effect: effect === 'approval' ? 'require_approval' : 'allow', tools: ['t'] });
          const { guarded, received, records, approved } = setup(rules, 't', schema, effect === 'approval', true);
          const outcome = await guarded.safeRun(raw, { callId: 'fz' });
          if (!expected.success) {
            expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ARGS_INVALID' } });
            expect(received).toEqual([]);
            return;
          }
          const digest = digestArgs(expected.data);
          if (effect === 'deny-output' && output !== undefined) {
            expect(outcome).toMatchObject({
              ok: false,
              denial: { code: 'ERR_GUARD_POLICY_DENIED', ruleId: 'deny-output' },
            });
            expect(received).toEqual([]);
            return;
          }
          expect(outcome).toMatchObject({ ok: true });
          expect(received.length).toBe(1);
          expect(digestArgs(received[0])).toBe(digest);
          const requested = records().find((r) => r.type === 'call.requested') as Rec;
          expect(requested.data.argsDigest).toBe(digest);
          const inputDigest = digestArgs(freezeArgs(raw));
          expect(requested.data.inputDigest).toBe(inputDigest === digest ? undefined : inputDigest);
          expect(statementDigest(requested.data.envelope)).toBe(requested.data.inputDigest ?? digest);
          if (effect === 'approval') {
            expect(records().some((r) => r.type === 'approval.granted')).toBe(true);
            expect(approved).toEqual([digest]);
          }
        },
      ),
      fuzzParams(Math.ceil(FUZZ_RUNS / 2)),
    );
  });
});
