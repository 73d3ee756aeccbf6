import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

function guardWith(policy: PolicyDocument) {
  return createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink: createMemorySink() }) });
}

describe('policy obligations, sessions and limits in guard()', () => {
  it('a timeout obligation shortens the tool timeout', async () => {
    const ag = guardWith({
      version: 1,
      rules: [{ id: 'slow', effect: 'allow', tools: ['slow'], obligations: { timeoutMs: 10 } }],
    });
    const slow = ag.guard({ name: 'slow', schema: z.object({}), execute: () => new Promise(() => {}) });
    await expect(slow({})).rejects.toMatchObject({
      code: 'ERR_GUARD_TOOL_TIMEOUT',
      message: expect.stringContaining('10 ms'),
    });
  });

  it('a result size cap withholds a larger result', async () => {
    const ag = guardWith({
      version: 1,
      rules: [{ id: 'dump', effect: 'allow', tools: ['dump'], obligations: { maxResultBytes: 64 } }],
    });
    const dump = ag.guard({ name: 'dump', schema: z.object({ n: z.number() }), execute: ({ n }) => 'x'.repeat(n) });
    await expect(dump({ n: 10 })).resolves.toBe('xxxxxxxxxx');
    await expect(dump({ n: 1000 })).rejects.toMatchObject({ code: 'ERR_GUARD_RESULT_TOO_LARGE' });
  });

  it('a result size cap measures canonical JSON: toJSON, Maps and class instances cannot show it another size', async () => {
    const ag = guardWith({
      version: 1,
      rules: [{ id: 'dump', effect: 'allow', tools: ['dump'], obligations: { maxResultBytes: 64 } }],
    });
    const results: unknown[] = [
      { toJSON: () => 'small', data: 'x'.repeat(1000) },
      new Map([['k', 'x'.repeat(1000)]]),
      new (class Box {
        data = 'x'.repeat(1000);
      })(),
    ];
    for (const result of results) {
      const dump = ag.guard({ name: 'dump', schema: z.object({}), execute: () => result });
      await expect(dump({})).rejects.toMatchObject({ code: 'ERR_GUARD_RESULT_TOO_LARGE' });
    }
  });

  it('data-flow taint is kept per session: a sink is refused after a source in the same session only', async () => {
    const ag = guardWith({
      version: 1,
      rules: [
        { id: 'tools', effect: 'allow', tools: ['read*', 'http_post', 'post'] },
        { id: 'no-exfiltration', effect: 'deny', tools: ['*'], labels: ['egress'], taintedBy: ['reads:pii'] },
      ],
    });
    const readCustomer = ag.guard({
      name: 'read_customer',
      schema: z.object({}),
      labels: ['reads:pii'],
      execute: () => ({ email: 'a@example.com' }),
    });
    const send = vi.fn(() => 'sent');
    const post = ag.guard({ name: 'http_post', schema: z.object({}), labels: ['egress'], execute: send });
    await expect(post({}, { session: 'clean' })).resolves.toBe('sent');
    await readCustomer({}, { session: 'tainted' });
    await expect(post({}, { session: 'tainted' })).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    await expect(post({}, { session: 'clean' })).resolves.toBe('sent');
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('the default session is one per guard', async () => {
    const policy: PolicyDocument = {
      version: 1,
      rules: [
        { id: 'tools', effect: 'allow', tools: ['read*', 'http_post', 'post'] },
        { id: 'no-exfiltration', effect: 'deny', tools: ['*'], labels: ['egress'], taintedBy: ['reads:pii'] },
      ],
    };
    const a = guardWith(policy);
    const b = guardWith(policy);
    expect(a.session).not.toBe(b.session);
    await a.guard({ name: 'read', schema: z.object({}), labels: ['reads:pii'], execute: () => 1 })({});
    await expect(
      a.guard({ name: 'post', schema: z.object({}), labels: ['egress'], execute: () => 1 })({}),
    ).rejects.toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
    });
    await expect(
      b.guard({ name: 'post', schema: z.object({}), labels: ['egress'], execute: () => 1 })({}),
    ).resolves.toBe(1);
  });

  it('a concurrency cap holds slots while calls run and gives them back when they end, even on failure', async () => {
    const ag = guardWith({
      version: 1,
      rules: [{ id: 'work', effect: 'allow', tools: ['work'] }],
      limits: [{ id: 'one-at-a-time', tools: ['work'], concurrency: 1 }],
    });
    const gate: { finish?: (() => void) | undefined } = {};
    const release = () => gate.finish?.();
    const work = ag.guard({
      name: 'work',
      schema: z.object({ fail: z.boolean() }),
      execute: ({ fail }) =>
        new Promise<string>((resolve, reject) => {
          gate.finish = () => (fail ? reject(new Error('failed')) : resolve('done'));
        }),
    });
    const first = work({ fail: true });
    await vi.waitFor(() => expect(gate.finish).toBeDefined());
    await expect(work({ fail: false })).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    release();
    await expect(first).rejects.toMatchObject({ code: 'ERR_GUARD_TOOL_FAILED' });
    gate.finish = undefined;
    const second = work({ fail: false });
    await vi.waitFor(() => expect(gate.finish).toBeDefined());
    release();
    await expect(second).resolves.toBe('done');
  });
});
