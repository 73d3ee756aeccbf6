import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuard, type GuardOptions } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'mail', effect: 'allow', tools: ['send_email'], obligations: { redact: ['/body'] } }],
};
const secret = 'sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789ABCD';

function setup(extra: Partial<GuardOptions> = {}) {
  const identity = createIdentity();
  const sink = createMemorySink();
  const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }), ...extra });
  const seen: unknown[] = [];
  const send = ag.guard({
    name: 'send_email',
    schema: z.object({ to: z.string(), subject: z.string(), body: z.string() }),
    execute: (args) => {
      seen.push(args);
      throw new Error(`upstream refused key ${secret}`);
    },
  });
  return { identity, sink, send, seen };
}

describe('redaction in the audit log', () => {
  it('replaces detected secrets, personal data and policy-named fields before anything is written', async () => {
    const { identity, sink, send, seen } = setup();
    const args = { to: 'jane.doe@example.com', subject: `key ${secret}`, body: 'the whole letter' };
    await expect(send(args)).rejects.toMatchObject({ code: 'ERR_GUARD_TOOL_FAILED' });
    // The tool itself got the real arguments.
    expect(seen).toEqual([args]);
    const text = sink.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('the whole letter');
    const requested = sink.lines.map((l) => JSON.parse(l)).find((r) => r.type === 'call.requested');
    expect(requested.data.args.to).toMatch(/^\[REDACTED:email:/);
    expect(requested.data.redactions).toBeGreaterThanOrEqual(3);
    // The digest in the record and envelope is of the real arguments, so the log still binds them.
    expect(verifyLog(text, { trust: [identity.id] }).ok).toBe(true);
  });

  it('can be turned off', async () => {
    const { sink, send } = setup({ redaction: false });
    await send.safeRun({ to: 'jane.doe@example.com', subject: 's', body: 'b' });
    expect(sink.text()).toContain('jane.doe@example.com');
  });
});
