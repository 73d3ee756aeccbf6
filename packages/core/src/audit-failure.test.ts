import { type AuditSink, createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

/** A sink that can be switched off, as a full disk would be. */
function flakySink() {
  const inner = createMemorySink();
  const state = { down: false };
  const sink: AuditSink = {
    write: async (lines) => {
      if (state.down) throw new Error('ENOSPC: no space left on device');
      await inner.write(lines);
    },
    close: () => inner.close(),
  };
  return { sink, inner, state };
}

const policy: PolicyDocument = { version: 1, rules: [{ id: 'ok', effect: 'allow', tools: ['ping', 'pong'] }] };

describe('when the audit log cannot write', () => {
  it('fails closed by default: the tool does not run and the error names the cause', async () => {
    const { sink, state } = flakySink();
    const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink }) });
    const execute = vi.fn(() => 'pong');
    const ping = ag.guard({ name: 'ping', schema: z.object({}), execute });
    state.down = true;
    await expect(ping({})).rejects.toMatchObject({
      code: 'ERR_GUARD_AUDIT_FAILED',
      message: expect.stringContaining('ENOSPC'),
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('a fail-open tool runs unrecorded, and a gap record is written once the log works again', async () => {
    const { sink, inner, state } = flakySink();
    const identity = createIdentity();
    const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }) });
    const ping = ag.guard({ name: 'ping', schema: z.object({}), auditFailure: 'open', execute: () => 'pong' });
    const pong = ag.guard({ name: 'pong', schema: z.object({}), execute: () => 'ping' });
    await ping({});
    state.down = true;
    await expect(ping({})).resolves.toBe('pong');
    await expect(ping({})).resolves.toBe('pong');
    await expect(pong({})).rejects.toMatchObject({ code: 'ERR_GUARD_AUDIT_FAILED' });
    state.down = false;
    await expect(pong({})).resolves.toBe('ping');
    const records = inner.lines.map((l) => JSON.parse(l) as { type: string; data?: { missed?: number } });
    const gaps = records.filter((r) => r.type === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.data?.missed).toBe(4);
    expect(verifyLog(inner.text(), { trust: [identity.id] }).ok).toBe(true);
  });

  it('a policy change is an audited event, and is refused when it cannot be recorded', async () => {
    const { sink, inner, state } = flakySink();
    const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink }) });
    const before = ag.policyHash;
    const monitor: PolicyDocument = { ...policy, mode: 'monitor' };
    state.down = true;
    await expect(ag.setPolicy(monitor)).rejects.toThrow(/ENOSPC/);
    expect(ag.policyHash).toBe(before);
    state.down = false;
    await ag.setPolicy(monitor);
    expect(ag.policyHash).not.toBe(before);
    const change = inner.lines.map((l) => JSON.parse(l)).find((r) => r.type === 'mode.changed');
    expect(change.data).toEqual({
      from: { hash: before, mode: 'enforce' },
      to: { hash: ag.policyHash, mode: 'monitor' },
    });
  });

  it('monitor mode never blocks: a would-deny call runs and is recorded as such', async () => {
    const sink = createMemorySink();
    const ag = createGuard({
      identity: createIdentity(),
      policy: { ...policy, mode: 'monitor' },
      audit: createAuditLog({ sink }),
    });
    const execute = vi.fn(() => 'done');
    const drop = ag.guard({ name: 'drop_everything', schema: z.object({}), execute });
    await expect(drop({})).resolves.toBe('done');
    const completed = sink.lines.map((l) => JSON.parse(l)).find((r) => r.type === 'call.completed');
    expect(completed.data.decision).toMatchObject({ effect: 'allow', wouldDeny: true, mode: 'monitor' });
  });
});
