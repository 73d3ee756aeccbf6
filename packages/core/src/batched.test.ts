import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = { version: 1, rules: [{ id: 'metrics', effect: 'allow', tools: ['emit_metric'] }] };

describe('throughput mode (signing: batched)', () => {
  it('records calls without per-call signatures, covered by the signed checkpoints; the log verifies', async () => {
    const logKey = createIdentity({ name: 'log key' });
    const sink = createMemorySink();
    const audit = createAuditLog({ sink, checkpoint: { signer: logKey, everyRecords: 100, everyMs: 0 } });
    const ag = createGuard({ identity: createIdentity(), policy, audit });
    const emit = ag.guard({
      name: 'emit_metric',
      schema: z.object({ name: z.string(), value: z.number() }),
      signing: 'batched',
      execute: () => true,
    });
    await Promise.all(Array.from({ length: 250 }, (_, i) => emit({ name: 'latency', value: i })));
    await ag.close();
    const records = sink.lines.map(
      (l) => JSON.parse(l) as { type: string; sig?: string; data?: Record<string, unknown> },
    );
    const calls = records.filter((r) => r.type.startsWith('call.'));
    expect(calls).toHaveLength(500);
    expect(calls.every((r) => r.sig === undefined)).toBe(true);
    expect(calls.filter((r) => r.type === 'call.requested').every((r) => r.data?.signing === 'batched')).toBe(true);
    expect(records.filter((r) => r.type === 'checkpoint').length).toBeGreaterThanOrEqual(5);
    const report = verifyLog(sink.text(), { trust: [logKey.id] });
    expect(report.ok).toBe(true);
  });

  it('fails closed when the audit log has no checkpoint signer to cover the records', async () => {
    const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink: createMemorySink() }) });
    const emit = ag.guard({ name: 'emit_metric', schema: z.object({}), signing: 'batched', execute: () => true });
    await expect(emit({})).rejects.toMatchObject({ code: 'ERR_GUARD_AUDIT_FAILED' });
  });
});
