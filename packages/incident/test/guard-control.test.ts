import { createApproval } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createControlSource, type ControlSource } from '../src/control/source.js';
import { signStatus, type SignedStatus } from '../src/control/sign.js';
import type { StatusMeasure } from '../src/control/status.js';

const operator = createIdentity({ name: 'operator' });
const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'db', effect: 'allow', tools: ['db.*', 'w', 'r'] },
    { id: 'ask', effect: 'require_approval', tools: ['approve.me'] },
  ],
};

const sources: ControlSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
});

/** A guard whose control channel is an in-memory document, read on demand, on a clock the test moves. */
function setup(options: { maxAgeMs?: number } = {}) {
  const agent = createIdentity({ name: 'agent' });
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  let doc: string | Error = new Error('no status yet');
  const source = createControlSource({
    channel: 'prod',
    trust: [operator.id],
    excludedKeys: [agent.id],
    status: async () => {
      if (doc instanceof Error) throw doc;
      return doc;
    },
    pollMs: 3_600_000,
    clock,
  });
  sources.push(source);
  const sink = createMemorySink();
  const ag = createGuard({
    identity: agent,
    policy,
    audit: createAuditLog({ sink }),
    control: { source, clock, ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }) },
  });
  const read = vi.fn(() => 'read');
  const write = vi.fn(() => 'written');
  const lookup = ag.guard({ name: 'db.lookup', schema: z.object({}), tags: ['read'], execute: read });
  const update = ag.guard({ name: 'db.update', schema: z.object({}), tags: ['write'], execute: write });
  let seq = 0;
  const publish = async (measures: readonly StatusMeasure[], at = now, by = operator): Promise<SignedStatus> => {
    const signed = await signStatus({ operator: by, channel: 'prod', seq: ++seq, measures, nowMs: at });
    doc = JSON.stringify(signed);
    await source.refresh();
    return signed;
  };
  const records = () => sink.lines.map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  return {
    agent,
    ag,
    source,
    lookup,
    update,
    read,
    write,
    publish,
    records,
    tick: (ms: number) => {
      now += ms;
    },
    setDoc: (d: string | Error) => {
      doc = d;
    },
    setSeq: (s: number) => {
      seq = s;
    },
  };
}

describe('guard control: suspend, resume, quarantine', () => {
  it('suspends an agent: every call refused with its own code, recorded with the seq; resume lifts it', async () => {
    const t = setup();
    await t.publish([]);
    await expect(t.update({})).resolves.toBe('written');
    await t.publish([{ kind: 'suspend', scope: { kind: 'agent', value: t.agent.id }, reason: 'exfiltration' }]);
    await expect(t.update({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    await expect(t.lookup.check({})).resolves.toMatchObject({ effect: 'deny', code: 'ERR_GUARD_SUSPENDED' });
    expect(t.write).toHaveBeenCalledTimes(1);
    expect(t.read).not.toHaveBeenCalled();
    const recs = t.records();
    const statuses = recs.filter((r) => r.type === 'control.status');
    expect(statuses.map((r) => r.data.seq)).toEqual([1, 2]);
    expect(statuses[1]?.data).toMatchObject({ previousSeq: 1, issuer: operator.id, measures: [{ kind: 'suspend' }] });
    const denied = recs.filter((r) => r.type === 'call.denied');
    expect(denied[0]?.data).toMatchObject({ code: 'ERR_GUARD_SUSPENDED', controlSeq: 2 });
    await t.publish([]);
    await expect(t.lookup({})).resolves.toBe('read');
  });

  it('scopes: a tool, a tool pattern, a tag; other calls run', async () => {
    const t = setup();
    await t.publish([{ kind: 'suspend', scope: { kind: 'tool', value: 'db.update' } }]);
    await expect(t.update({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    await expect(t.lookup({})).resolves.toBe('read');
    await t.publish([{ kind: 'suspend', scope: { kind: 'tool', value: 'db.*' } }]);
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    await t.publish([{ kind: 'suspend', scope: { kind: 'tag', value: 'read' } }]);
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    await expect(t.update({})).resolves.toBe('written');
    await t.publish([{ kind: 'suspend', scope: { kind: 'agent', value: operator.id } }]);
    await expect(t.update({})).resolves.toBe('written');
  });

  it('quarantine: the read-only preset decides (reads run, writes refused) and parked approvals are dropped', async () => {
    const t = setup();
    await t.publish([]);
    const ask = t.ag.guard({ name: 'approve.me', schema: z.object({}), tags: ['read'], execute: () => 'asked' });
    await expect(ask({}, { callId: 'parked-1' })).rejects.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REQUIRED' });
    await t.publish([{ kind: 'quarantine', scope: { kind: 'agent', value: t.agent.id } }]);
    await expect(t.lookup({})).resolves.toBe('read');
    await expect(t.update({})).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    expect(t.write).not.toHaveBeenCalled();
    const status = t.records().find((r) => r.type === 'control.status' && r.data.seq === 2);
    expect(status?.data.approvalsDropped).toBe(1);
    // The check() path decides the same way.
    await expect(t.update.check({})).resolves.toMatchObject({ effect: 'deny' });
  });

  it('refuses forged, replayed, stale and out-of-order commands: the measure in force stays', async () => {
    const t = setup();
    await t.publish([{ kind: 'suspend', scope: { kind: 'all' } }]);
    const s1 = await t.publish([{ kind: 'suspend', scope: { kind: 'all' } }]); // seq 2
    // The agent signs a resume with its own key.
    t.setSeq(10);
    await t.publish([], undefined, t.agent);
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    // A forged one (another key).
    await t.publish([], undefined, createIdentity());
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    // An older one replayed (seq 1 after 2).
    t.setSeq(0);
    await t.publish([]);
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    // An expired one.
    t.setSeq(20);
    await t.publish([], Date.UTC(2025, 0, 1));
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    expect(t.source.current()?.seq).toBe(2);
    t.setDoc(JSON.stringify(s1));
    await t.source.refresh();
    expect(t.read).not.toHaveBeenCalled();
    // Every refusal is in the log, with the channel's code (the agent's own resume, the forged one, the replay,
    // the expired one); reading the same refused status again writes nothing more for a while.
    const rejected = t.records().filter((r) => r.type === 'control.rejected');
    // (The first: the channel had no status at all when the guard started.)
    expect(rejected.map((r) => r.data.code)).toEqual([
      'ERR_INCIDENT_SOURCE_FAILED',
      'ERR_INCIDENT_STATUS_UNTRUSTED',
      'ERR_INCIDENT_STATUS_UNTRUSTED',
      'ERR_INCIDENT_STATUS_REPLAYED',
      'ERR_INCIDENT_STATUS_EXPIRED',
    ]);
    expect(new Set(rejected.map((r) => r.data.code)).size).toBeGreaterThan(1);
    await t.source.refresh();
    await t.source.refresh();
    expect(t.records().filter((r) => r.type === 'control.rejected')).toHaveLength(rejected.length);
  });

  it('after close, refusals are no longer written', async () => {
    const t = setup();
    await t.publish([]);
    const before = t.records().filter((r) => r.type === 'control.rejected').length;
    await t.ag.close();
    t.setDoc('garbage');
    await t.source.refresh();
    expect(t.records().filter((r) => r.type === 'control.rejected')).toHaveLength(before);
  });

  it('a guard cut off from the channel fails closed for high-risk tools after the bound', async () => {
    const t = setup();
    await t.publish([]);
    await expect(t.update({})).resolves.toBe('written');
    t.setDoc(new Error('channel down'));
    t.tick(1_999);
    await t.source.refresh();
    await expect(t.update({})).resolves.toBe('written');
    t.tick(2);
    await t.source.refresh();
    await expect(t.update({})).rejects.toMatchObject({ code: 'ERR_GUARD_CONTROL_STALE' });
    await expect(t.update.check({})).resolves.toMatchObject({ code: 'ERR_GUARD_CONTROL_STALE' });
    // Low-risk tools still run.
    await expect(t.lookup({})).resolves.toBe('read');
    // Back on the channel: confirmed again, high-risk runs.
    await t.publish([]);
    await expect(t.update({})).resolves.toBe('written');
  });

  it('a guard that never got a status refuses high-risk tools; a quiet channel never lifts a suspension', async () => {
    const t = setup();
    await expect(t.update({})).rejects.toMatchObject({ code: 'ERR_GUARD_CONTROL_STALE' });
    await expect(t.lookup({})).resolves.toBe('read');
    await t.publish([{ kind: 'suspend', scope: { kind: 'tag', value: 'read' } }]);
    t.setDoc(new Error('gone'));
    t.tick(3_600_000 * 5);
    await expect(t.lookup({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
  });

  it('a control source that throws or answers garbage fails closed', async () => {
    const agent = createIdentity();
    const sink = createMemorySink();
    const ag = createGuard({
      identity: agent,
      policy,
      audit: createAuditLog({ sink }),
      control: {
        source: {
          current: () => {
            throw new Error('boom');
          },
        },
      },
    });
    const update = ag.guard({ name: 'w', schema: z.object({}), tags: ['write'], execute: () => 'x' });
    await expect(update({})).rejects.toMatchObject({ code: 'ERR_GUARD_CONTROL_STALE' });
    const weird = createGuard({
      identity: agent,
      policy,
      audit: createAuditLog({ sink }),
      control: {
        source: {
          current: () =>
            ({
              seq: 1,
              hash: 'sha256:x',
              issuer: operator.id,
              issuedAt: 'x',
              expiresAt: 'nonsense',
              confirmedAt: Date.now(),
              measures: [{ kind: 'suspend', scope: { kind: 'bogus' } }],
            }) as never,
        },
      },
    });
    // Not a status core can apply: every call is refused, low-risk ones too.
    const read = weird.guard({ name: 'r', schema: z.object({}), tags: ['read'], execute: () => 'x' });
    await expect(read({})).rejects.toMatchObject({ code: 'ERR_GUARD_CONTROL_STALE' });
  });

  it('misuse of the control option throws', () => {
    const base = { identity: createIdentity(), policy, audit: createAuditLog({ sink: createMemorySink() }) };
    expect(() => createGuard({ ...base, control: {} as never })).toThrow(TypeError);
    expect(() => createGuard({ ...base, control: { source: { current: () => undefined }, maxAgeMs: 0 } })).toThrow(
      RangeError,
    );
  });
});

describe('guard control: a measure that arrives while a human decides', () => {
  async function waiting(measure: 'suspend' | 'quarantine') {
    const agent = createIdentity({ name: 'agent' });
    const human = createIdentity({ name: 'human' });
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    let doc = '';
    const source = createControlSource({
      channel: 'prod',
      trust: [operator.id],
      excludedKeys: [agent.id],
      status: async () => doc,
      pollMs: 3_600_000,
      clock,
    });
    sources.push(source);
    let seq = 0;
    const publish = async (measures: readonly StatusMeasure[]) => {
      doc = JSON.stringify(await signStatus({ operator, channel: 'prod', seq: ++seq, measures, nowMs: now }));
      await source.refresh();
    };
    await publish([]);
    let decide: (() => void) | undefined;
    const asked = new Promise<void>((resolve) => {
      decide = resolve;
    });
    let started: (() => void) | undefined;
    const waitingForHuman = new Promise<void>((resolve) => {
      started = resolve;
    });
    const sink = createMemorySink();
    const ag = createGuard({
      identity: agent,
      policy: { version: 1, rules: [{ id: 'ask', effect: 'require_approval', tools: ['approve.me'] }] },
      audit: createAuditLog({ sink }),
      control: { source, clock },
      approvals: {
        approvers: [human.id],
        approver: async (request) => {
          started?.();
          await asked;
          return createApproval(
            { callId: request.callId, tool: request.tool, args: request.args, policyHash: request.policyHash },
            { approver: human, decision: 'approve' },
          );
        },
      },
    });
    const ran = vi.fn(() => 'ran');
    const ask = ag.guard({ name: 'approve.me', schema: z.object({}), tags: ['read'], execute: ran });
    const call = ask.safeRun({}, { callId: 'waits-1' });
    await waitingForHuman;
    const scope = { kind: 'agent' as const, value: agent.id };
    await publish([{ kind: measure, scope }]);
    now += 10;
    decide?.();
    const outcome = await call;
    const records = sink.lines.map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    return { outcome, ran, records };
  }

  it('a suspend refuses the approved call before it runs', async () => {
    const { outcome, ran, records } = await waiting('suspend');
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_SUSPENDED' } });
    expect(ran).not.toHaveBeenCalled();
    expect(records.map((r) => r.type)).toEqual(expect.arrayContaining(['approval.granted', 'call.denied']));
    expect(records.find((r) => r.type === 'call.denied')?.data.controlSeq).toBe(2);
  });

  it('a quarantine refuses the approved call: it was decided by the engine the quarantine replaced', async () => {
    const { outcome, ran } = await waiting('quarantine');
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_SUSPENDED' } });
    expect(ran).not.toHaveBeenCalled();
  });
});
