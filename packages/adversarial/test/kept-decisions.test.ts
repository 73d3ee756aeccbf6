/**
 * Invariant: a decision, monitor verdict or refusal the guard keeps for a call (from `check()`, or a call waiting for
 * approval) answers only that call: the same call id, tool, agent, session and run value. A call that reuses the id
 * with another agent or session is decided afresh by the policy (or refused), never run on someone else's decision.
 */
import { createTrustStore, signCall } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fuzzParams } from './fuzz.js';

const server = createIdentity({ name: 'server' });
const other = createIdentity({ name: 'other-agent' });

function setup() {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'self-only', effect: 'allow', tools: ['wire'], agents: [server.id] },
      { id: 'tools', effect: 'allow', tools: ['read_secret', 'send_email'] },
      { id: 'no-exfil', effect: 'deny', tools: ['send_email'], taintedBy: ['secret'] },
    ],
  });
  const ag = createGuard({
    identity: server,
    policy: engine,
    audit: createAuditLog({ sink: createMemorySink() }),
    trust: createTrustStore([server.id, other.id]),
  });
  const ran: string[] = [];
  const wire = ag.guard({
    name: 'wire',
    schema: z.object({ amount: z.number() }),
    execute: (_a, ctx) => {
      ran.push(ctx.agent);
      return 'sent';
    },
  });
  const read = ag.guard({ name: 'read_secret', labels: ['secret'], schema: z.object({}), execute: () => 'the secret' });
  const send = ag.guard({
    name: 'send_email',
    schema: z.object({ to: z.string() }),
    execute: () => {
      ran.push('send');
      return 'sent';
    },
  });
  const envelope = async (callId: string, args: unknown) =>
    (await signCall({ signer: other, callId, tool: 'wire', args, policyHash: engine.hash })).envelope;
  return { wire, read, send, ran, envelope };
}

describe('a kept decision answers only its own call', () => {
  it('another agent reusing the call id of a check()ed call is refused, and the tool does not run', async () => {
    const { wire, ran, envelope } = setup();
    const args = { amount: 5 };
    expect((await wire.safeRun(args, { envelope: await envelope('b-1', args) })).ok).toBe(false);
    expect((await wire.check(args, { callId: 'c-7' })).effect).toBe('allow');
    const out = await wire.safeRun(args, { envelope: await envelope('c-7', args) });
    expect(out).toMatchObject({ ok: false });
    expect(ran).toEqual([]);
    // The guard's own run of that call still uses its kept decision.
    expect((await wire.safeRun(args, { callId: 'c-7' })).ok).toBe(true);
    expect(ran).toEqual([server.id]);
  });

  it('a decision checked in one session does not run the call in a session whose taint denies it', async () => {
    const { read, send, ran } = setup();
    await read.safeRun({}, { session: 'conv-2' });
    expect((await send.safeRun({ to: 'x@evil.test' }, { session: 'conv-2', callId: 'a' })).ok).toBe(false);
    expect((await send.check({ to: 'x@evil.test' }, { session: 'conv-1', callId: 'b' })).effect).toBe('allow');
    const out = await send.safeRun({ to: 'x@evil.test' }, { session: 'conv-2', callId: 'b' });
    expect(out).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_POLICY_DENIED' } });
    expect(ran).toEqual([]);
  });

  it('fuzz: whatever the interleaving of checks and runs by two agents over shared call ids, the other agent never runs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            by: fc.constantFrom('self', 'other'),
            op: fc.constantFrom('check', 'run'),
            id: fc.constantFrom('x', 'y', 'z'),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (steps) => {
          const { wire, ran, envelope } = setup();
          const args = { amount: 1 };
          for (const step of steps) {
            if (step.by === 'self') {
              if (step.op === 'check') await wire.check(args, { callId: step.id });
              else await wire.safeRun(args, { callId: step.id });
            } else {
              await wire.safeRun(args, { envelope: await envelope(step.id, args) });
            }
          }
          expect(ran.filter((a) => a === other.id)).toEqual([]);
        },
      ),
      fuzzParams(40),
    );
  });
});
