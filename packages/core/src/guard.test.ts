import { createTrustStore } from '@agentguard/attestation';
import { type AuditSink, createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine, type PolicyDocument } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard, GuardError, type GuardOptions, guard } from './index.js';

const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'allow-add', effect: 'allow', tools: ['add'] },
    { id: 'allow-slow', effect: 'allow', tools: ['slow', 'boom', 'mutate'] },
    { id: 'no-delete', effect: 'deny', tools: ['delete_*'], reason: 'deleting is not allowed' },
  ],
};
const addSchema = z.object({ a: z.number(), b: z.number() });

function setup(overrides: Partial<GuardOptions> = {}) {
  const identity = createIdentity({ name: 'test-agent' });
  const sink = createMemorySink();
  const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }), ...overrides });
  const records = () =>
    sink.lines.map((l) => JSON.parse(l) as { type: string; callId: string; data?: Record<string, unknown> });
  const calls = () => records().filter((r) => r.type.startsWith('call.'));
  return { identity, sink, ag, records, calls };
}

describe('guard()', () => {
  it('runs an allowed call, signs and audits request and outcome, and the log verifies', async () => {
    const { ag, sink, identity, calls } = setup();
    const add = ag.guard({ name: 'add', schema: addSchema, execute: ({ a, b }) => a + b });
    await expect(add({ a: 2, b: 3 }, { callId: 'call-1' })).resolves.toBe(5);
    expect(calls().map((r) => [r.type, r.callId])).toEqual([
      ['call.requested', 'call-1'],
      ['call.completed', 'call-1'],
    ]);
    const request = calls()[0];
    // Signed by the agent itself: an identity of this process signs no separate call envelope.
    expect(request).toMatchObject({ agent: identity.id, signer: identity.id, sig: expect.any(String) });
    const requested = request?.data as { envelope?: unknown; args: unknown; argsDigest: string };
    expect(requested.envelope).toBeUndefined();
    expect(requested.args).toEqual({ a: 2, b: 3 });
    expect(requested.argsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const report = verifyLog(sink.text(), { trust: [identity.id] });
    expect(report.ok).toBe(true);
  });

  it('denies by policy without running the tool, and audits the denial with the rule', async () => {
    const { ag, calls } = setup();
    const execute = vi.fn(() => 'deleted');
    const del = ag.guard({ name: 'delete_user', schema: z.object({ id: z.string() }), execute });
    const error = await del({ id: 'u1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardError);
    expect((error as GuardError).code).toBe('ERR_GUARD_POLICY_DENIED');
    expect((error as GuardError).denial).toMatchObject({ outcome: 'denied', ruleId: 'no-delete', tool: 'delete_user' });
    expect((error as GuardError).message).toContain('deleting is not allowed');
    expect(execute).not.toHaveBeenCalled();
    expect(calls().map((r) => r.type)).toEqual(['call.requested', 'call.denied']);
  });

  it('denies a tool no rule names (default deny)', async () => {
    const { ag } = setup();
    const execute = vi.fn();
    const tool = ag.guard({ name: 'unlisted', schema: z.object({}), execute });
    const outcome = await tool.safeRun({});
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED', ruleId: null } });
    expect(execute).not.toHaveBeenCalled();
  });

  it('rejects invalid arguments with ERR_GUARD_ARGS_INVALID and audits call.invalid', async () => {
    const { ag, calls } = setup();
    const execute = vi.fn();
    const add = ag.guard({ name: 'add', schema: addSchema, execute });
    const outcome = await add.safeRun({ a: 1, b: 'two' });
    expect(outcome).toMatchObject({ ok: false, denial: { outcome: 'invalid', code: 'ERR_GUARD_ARGS_INVALID' } });
    expect(!outcome.ok && outcome.denial.reason).toContain('$.b');
    expect(execute).not.toHaveBeenCalled();
    expect(calls().map((r) => r.type)).toEqual(['call.invalid']);
  });

  it.each([
    ['a function', { a: () => 1 }],
    ['a BigInt', { a: 1n }],
    ['NaN', { a: Number.NaN }],
    ['a Map', new Map([['a', 1]])],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
    ],
  ])('refuses arguments JSON cannot hold: %s', async (_label, args) => {
    const { ag } = setup();
    const execute = vi.fn();
    const tool = ag.guard({ name: 'add', schema: z.any(), execute });
    const outcome = await tool.safeRun(args);
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ARGS_INVALID' } });
    expect(execute).not.toHaveBeenCalled();
  });

  it('reports a throwing tool as ERR_GUARD_TOOL_FAILED, keeps the cause, and audits call.failed', async () => {
    const { ag, calls } = setup();
    const boom = ag.guard({
      name: 'boom',
      schema: z.object({}),
      execute: () => {
        throw new Error('kaput');
      },
    });
    const error = (await boom({}).catch((e: unknown) => e)) as GuardError;
    expect(error.code).toBe('ERR_GUARD_TOOL_FAILED');
    expect((error.cause as Error).message).toBe('kaput');
    expect(calls().map((r) => r.type)).toEqual(['call.requested', 'call.failed']);
    const outcome = await boom.safeRun({});
    expect(JSON.parse(JSON.stringify(outcome))).not.toHaveProperty('cause');
  });

  it('ends a tool that hangs past its timeout and aborts its signal', async () => {
    const { ag } = setup();
    let signal: AbortSignal | undefined;
    const slow = ag.guard({
      name: 'slow',
      schema: z.object({}),
      timeoutMs: 20,
      execute: (_args, ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      },
    });
    await expect(slow({})).rejects.toMatchObject({ code: 'ERR_GUARD_TOOL_TIMEOUT' });
    expect(signal?.aborted).toBe(true);
  });

  it('gives a tool that reads its signal only after the timeout an aborted signal, and copies it in a spread', async () => {
    const { ag } = setup();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: { aborted?: boolean; reason?: unknown; spread?: boolean } = {};
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const slow = ag.guard({
      name: 'slow',
      schema: z.object({}),
      timeoutMs: 20,
      execute: async (_args, ctx) => {
        await held;
        seen.aborted = ctx.signal.aborted;
        seen.reason = ctx.signal.reason;
        seen.spread = { ...ctx }.signal === ctx.signal;
        done();
      },
    });
    await expect(slow({})).rejects.toMatchObject({ code: 'ERR_GUARD_TOOL_TIMEOUT' });
    release();
    await finished;
    expect(seen).toMatchObject({ aborted: true, spread: true });
    expect(seen.reason).toBeInstanceOf(Error);
  });

  it('gives a tool a context of plain members: callId, agent, signal (a getter), signEnvelope', async () => {
    const { ag } = setup();
    let keys: string[] = [];
    let descriptor: PropertyDescriptor | undefined;
    let copied: unknown;
    const tool = ag.guard({
      name: 'mutate',
      schema: z.object({}),
      execute: async (_args, ctx) => {
        keys = Object.keys(ctx);
        descriptor = Object.getOwnPropertyDescriptor(ctx, 'signal');
        // A copy made member by member, descriptors and all, still reads its signal.
        copied = (Object.defineProperties({}, Object.getOwnPropertyDescriptors(ctx)) as { signal?: unknown }).signal;
      },
    });
    await tool({}, { callId: 'ctx-1' });
    expect(keys).toEqual(['callId', 'agent', 'signal', 'signEnvelope']);
    expect(descriptor).toMatchObject({ enumerable: true, configurable: true });
    expect(typeof descriptor?.get).toBe('function');
    expect(copied).toBeInstanceOf(AbortSignal);
  });

  it('stops when the caller aborts', async () => {
    const { ag } = setup();
    const controller = new AbortController();
    const slow = ag.guard({ name: 'slow', schema: z.object({}), execute: () => new Promise(() => {}) });
    const pending = slow({}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_GUARD_CALL_ABORTED' });
  });

  it('fails closed when the audit log cannot write: the tool does not run', async () => {
    const broken: AuditSink = {
      write: async () => {
        throw new Error('disk full');
      },
      close: async () => {},
    };
    const identity = createIdentity();
    const ag = createGuard({ identity, policy, audit: createAuditLog({ sink: broken }) });
    const execute = vi.fn(() => 1);
    const add = ag.guard({ name: 'add', schema: addSchema, execute });
    await expect(add({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_GUARD_AUDIT_FAILED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('fails closed when the policy engine throws', async () => {
    const identity = createIdentity();
    const engine = createPolicyEngine(policy);
    const throwing = {
      ...engine,
      hash: engine.hash,
      policy: engine.policy,
      decide: async () => Promise.reject(new Error('bug')),
    };
    const ag = createGuard({ identity, policy: throwing, audit: createAuditLog({ sink: createMemorySink() }) });
    const execute = vi.fn();
    const add = ag.guard({ name: 'add', schema: addSchema, execute });
    await expect(add({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('refuses calls whose envelope is not signed by a trusted key (impersonation)', async () => {
    const stranger = createIdentity();
    const { ag } = setup({ trust: createTrustStore([stranger.id]) });
    const execute = vi.fn();
    const add = ag.guard({ name: 'add', schema: addSchema, execute });
    await expect(add({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('runs the tool with the args that were decided on, even if the caller mutates them afterwards', async () => {
    const { ag } = setup();
    const seen: unknown[] = [];
    const mutate = ag.guard({
      name: 'mutate',
      schema: z.object({ path: z.string() }),
      execute: async (args) => {
        await new Promise((r) => setTimeout(r, 5));
        seen.push(args.path);
      },
    });
    const args = { path: '/tmp/safe' };
    const pending = mutate(args);
    args.path = '/etc/shadow';
    await pending;
    expect(seen).toEqual(['/tmp/safe']);
  });

  it('emits typed events, and a throwing listener changes nothing', async () => {
    const { ag } = setup();
    const seen: string[] = [];
    ag.events.on('allowed', (e) => seen.push(`allowed:${e.decision.ruleId}`));
    ag.events.on('completed', () => {
      seen.push('completed');
      throw new Error('listener bug');
    });
    ag.events.on('denied', (e) => seen.push(`denied:${e.denial.code}`));
    const add = ag.guard({ name: 'add', schema: addSchema, execute: ({ a, b }) => a + b });
    await expect(add({ a: 1, b: 1 })).resolves.toBe(2);
    await add.safeRun({ a: 'x' });
    expect(seen).toEqual(['allowed:allow-add', 'completed', 'denied:ERR_GUARD_ARGS_INVALID']);
  });

  it('gives each event the call it is about and its own members, nothing else', async () => {
    const { ag } = setup();
    const payloads: Array<[string, Record<string, unknown>]> = [];
    for (const name of ['allowed', 'completed', 'denied', 'failed'] as const) {
      ag.events.on(name, (e: object) => payloads.push([name, { ...e }]));
    }
    const add = ag.guard({ name: 'add', schema: addSchema, execute: ({ a, b }) => a + b });
    const boom = ag.guard({
      name: 'add',
      schema: addSchema,
      execute: () => {
        throw new Error('no');
      },
    });
    await add({ a: 1, b: 1 }, { callId: 'c-1' });
    await add.safeRun({ a: 'x' }, { callId: 'c-2' });
    await boom.safeRun({ a: 1, b: 2 }, { callId: 'c-3' });
    const agent = ag.agent;
    expect(payloads.map(([name, e]) => [name, Object.keys(e).sort(), e.callId, e.tool, e.agent])).toEqual([
      ['allowed', ['agent', 'callId', 'decision', 'tool'], 'c-1', 'add', agent],
      ['completed', ['agent', 'callId', 'durationMs', 'tool'], 'c-1', 'add', agent],
      ['denied', ['agent', 'callId', 'denial', 'tool'], 'c-2', 'add', agent],
      ['allowed', ['agent', 'callId', 'decision', 'tool'], 'c-3', 'add', agent],
      ['failed', ['agent', 'callId', 'denial', 'durationMs', 'tool'], 'c-3', 'add', agent],
    ]);
  });

  it('guard() is the one-shot form', async () => {
    const identity = createIdentity();
    const add = guard(
      { name: 'add', schema: addSchema, execute: ({ a, b }) => a + b },
      { identity, policy, audit: createAuditLog({ sink: createMemorySink() }) },
    );
    await expect(add({ a: 20, b: 22 })).resolves.toBe(42);
    expect(add.name).toBe('add');
    expect(add.inputJsonSchema()).toMatchObject({ type: 'object', required: ['a', 'b'] });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a bad name', { name: 'no spaces', schema: addSchema, execute: () => 1 }],
    ['no schema', { name: 'add', execute: () => 1 }],
    ['no execute', { name: 'add', schema: addSchema }],
    ['a zero timeout', { name: 'add', schema: addSchema, execute: () => 1, timeoutMs: 0 }],
    // Never read as the default: a typo must not record the args of a sensitive tool, or sign less than asked.
    ['sensitive as a string', { name: 'add', schema: addSchema, execute: () => 1, sensitive: 'true' }],
    ['an unknown signing mode', { name: 'add', schema: addSchema, execute: () => 1, signing: 'batch' }],
    ['an unknown auditFailure', { name: 'add', schema: addSchema, execute: () => 1, auditFailure: 'Open' }],
    ['a description that is not text', { name: 'add', schema: addSchema, execute: () => 1, description: 7 }],
  ])('throws on misuse: %s', (_label, spec) => {
    const { ag } = setup();
    expect(() => ag.guard(spec as never)).toThrow(/expected/);
  });

  it('property: a denied tool is never called, whatever its name and args', async () => {
    const { ag } = setup();
    const execute = vi.fn((): unknown => undefined);
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^delete_[a-z]{1,10}$/),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        async (name, args) => {
          const tool = ag.guard({ name, schema: z.any(), execute });
          const outcome = await tool.safeRun(args);
          return !outcome.ok;
        },
      ),
      { numRuns: 50 },
    );
    expect(execute).not.toHaveBeenCalled();
  });

  it('10,000 concurrent calls give 10,000 well-ordered outcome records and a log that verifies', async () => {
    const { ag, sink, identity, calls } = setup();
    const add = ag.guard({ name: 'add', schema: addSchema, execute: ({ a, b }) => a + b });
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, i) => add({ a: i, b: 1 })));
    expect(results[9_999]).toBe(10_000);
    expect(calls().filter((r) => r.type === 'call.completed')).toHaveLength(10_000);
    // Well ordered: sequence numbers without gaps, and each call's request before its outcome.
    const all = sink.lines.map((l) => JSON.parse(l) as { seq: number; type: string; callId: string });
    expect(all.every((r, i) => r.seq === i)).toBe(true);
    const requestedAt = new Map(all.filter((r) => r.type === 'call.requested').map((r) => [r.callId, r.seq]));
    expect(requestedAt.size).toBe(10_000);
    for (const r of all) if (r.type === 'call.completed') expect(requestedAt.get(r.callId)).toBeLessThan(r.seq);
    expect(verifyLog(sink.text(), { trust: [identity.id] }).ok).toBe(true);
  }, 120_000);
});
