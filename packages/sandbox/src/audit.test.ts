import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { auditSandboxEvents } from './audit.js';

describe('auditSandboxEvents', () => {
  it('writes each egress connection as egress.allowed or egress.refused, and leaves failed calls to the guard', async () => {
    const identity = createIdentity();
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const onEvent = auditSandboxEvents({ log, signer: identity });
    const base = { tool: 'fetch_page', callId: 'c-1', agent: identity.id, kind: 'connect' as const, port: 443 };
    onEvent({
      type: 'sandbox.egress',
      ...base,
      host: 'api.example.com',
      address: '127.0.0.9',
      allowed: true,
      bytesOut: 10,
      bytesIn: 20,
    });
    onEvent({
      type: 'sandbox.egress',
      ...base,
      host: 'metadata.internal',
      allowed: false,
      reason: 'address-refused',
      bytesOut: 0,
      bytesIn: 0,
    });
    onEvent({
      type: 'sandbox.failed',
      tool: 'fetch_page',
      callId: 'c-1',
      agent: identity.id,
      code: 'ERR_SANDBOX_DEADLINE',
      message: 'killed',
    } as never);
    await log.close();
    const records = sink.lines.map((l) => JSON.parse(l) as { type: string; data?: { egress?: { host?: string } } });
    expect(records.filter((r) => r.type !== 'checkpoint').map((r) => [r.type, r.data?.egress?.host])).toEqual([
      ['egress.allowed', 'api.example.com'],
      ['egress.refused', 'metadata.internal'],
    ]);
    expect(verifyLog(`${sink.lines.join('\n')}\n`, { trust: [identity.id] })).toMatchObject({ ok: true });
  });
});
