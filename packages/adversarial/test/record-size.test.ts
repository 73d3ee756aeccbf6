/**
 * Invariant (core side): whatever a model sends (huge, deep or wide arguments, long call ids, junk envelopes,
 * huge tool errors and reasons), every record core writes stays far below RECORD_MAX_BYTES and the log
 * verifies. Arguments over ARGS_RECORD_MAX_BYTES are recorded by digest with `argsOmitted`.
 */
import { digestArgs } from '@agentguard/attestation';
import { createAuditLog, createMemorySink, RECORD_MAX_BYTES, verifyLog } from '@agentguard/audit';
import { ARGS_RECORD_MAX_BYTES, createGuard, type GuardOptions } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { PolicyEngine } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FUZZ_RUNS, fuzzParams } from './fuzz.js';

// Far below: a record is never more than a quarter of what the log accepts.
const RECORD_BUDGET = RECORD_MAX_BYTES / 4;

function setup(policy: GuardOptions['policy'] = { version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['t'] }] }) {
  const identity = createIdentity({ name: 'agent' });
  const sink = createMemorySink();
  const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }), approvals: { approvers: [] } });
  const check = () => {
    for (const line of sink.lines) expect(new TextEncoder().encode(line).length).toBeLessThan(RECORD_BUDGET);
    expect(verifyLog(sink.text(), { trust: [identity.id] }).ok).toBe(true);
  };
  return { ag, sink, check };
}

type Rec = { type: string; data: Record<string, unknown> };

describe('a model can make the log unverifiable forever (record size)', () => {
  it('80 strings of 60,000 characters: the args are recorded by digest with a marker, and the log verifies', async () => {
    const { ag, sink, check } = setup();
    let ran = false;
    const tool = ag.guard({
      name: 't',
      schema: z.record(z.string(), z.string()),
      execute: () => {
        ran = true;
        return 'ok';
      },
    });
    const args = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, `${i}`.padEnd(60_000, 'a')]));
    await expect(tool.safeRun(args)).resolves.toMatchObject({ ok: true });
    expect(ran).toBe(true);
    check();
    const requested = sink.lines.map((l) => JSON.parse(l) as Rec).find((r) => r.type === 'call.requested') as Rec;
    expect(requested.data.args).toBeUndefined();
    expect(requested.data.argsOmitted).toMatchObject({ reason: 'too-large' });
    expect((requested.data.argsOmitted as { bytes: number }).bytes).toBeGreaterThan(ARGS_RECORD_MAX_BYTES);
    expect(requested.data.argsDigest).toBe(digestArgs(args));
  });

  it('a huge tool error, refusal reason, call id, envelope and decision stay bounded in the records', async () => {
    const hash = `sha256:${'0'.repeat(64)}`;
    let decision: unknown = {
      effect: 'allow',
      ruleId: 'r',
      reason: 'ok',
      matched: [],
      policyHash: hash,
      mode: 'enforce',
    };
    const engine = {
      hash,
      mode: 'enforce',
      policy: { version: 1, rules: [] },
      decide: async () => decision,
      hold: async (_r: unknown, d: unknown) => d,
      release: async () => {},
    } as unknown as PolicyEngine;
    const { ag, check } = setup(engine);
    const tool = ag.guard({
      name: 't',
      schema: z.object({}).passthrough(),
      execute: () => {
        throw new Error('boom '.repeat(2_000_000));
      },
    });
    await tool.safeRun({});
    await tool.safeRun({}, { callId: 'c'.repeat(5_000_000) });
    await tool.safeRun({}, { envelope: { payload: 'p'.repeat(5_000_000), payloadType: 'x', signatures: [] } });
    await tool.refuse({}, { callId: 'r-1', reason: 'no '.repeat(2_000_000) });
    decision = {
      effect: 'deny',
      ruleId: 'x'.repeat(3_000_000),
      reason: 'why '.repeat(1_000_000),
      matched: Array.from({ length: 50_000 }, (_, i) => `rule-${i}-${'m'.repeat(100)}`).slice(0, 10_000),
      policyHash: hash,
      mode: 'enforce',
    };
    await tool.safeRun({});
    check();
  });

  it('fuzz: big, deep and wide arguments never make a record near the bound, and the log verifies', async () => {
    const shape = fc.record({
      // Mostly moderate, sometimes past RECORD_MAX_BYTES in all (75 × 65,000 characters).
      keys: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 10 }) }, fc.integer({ min: 60, max: 75 })),
      strLen: fc.integer({ min: 0, max: 65_000 }),
      depth: fc.integer({ min: 0, max: 60 }),
      arrayLen: fc.integer({ min: 0, max: 10_000 }),
      unicode: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(shape, async ({ keys, strLen, depth, arrayLen, unicode }) => {
        const { ag, check } = setup();
        const tool = ag.guard({ name: 't', schema: z.unknown(), execute: () => 'ok' });
        const text = (unicode ? '€𝄞' : 'ab').repeat(Math.ceil(strLen / 2)).slice(0, strLen);
        let deep: unknown = text.slice(0, 100);
        for (let i = 0; i < depth; i++) deep = { d: deep };
        const args = {
          wide: Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, text])),
          deep,
          list: Array.from({ length: arrayLen }, (_, i) => i),
        };
        await tool.safeRun(args);
        check();
      }),
      fuzzParams(Math.max(5, Math.ceil(FUZZ_RUNS / 20))),
    );
  });
});
