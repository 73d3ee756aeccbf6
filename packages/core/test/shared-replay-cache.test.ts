import { createReplayCache, createTrustStore, signCall } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createMemoryStateStore, type StateStore, type PolicyDocument } from '@agentguard/policy';
import { createRedisStateStore } from '@agentguard/policy/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { findRedisServer, type RedisServer, startRedisServer } from '../../policy/test/redis-server.js';
import { createGuard, type GuardOptions } from '../src/index.js';

// Two servers that accept the same caller: an envelope one of them accepted must be refused by the other.
const policy: PolicyDocument = { version: 1, rules: [{ id: 'allow-pay', effect: 'allow', tools: ['pay'] }] };
const caller = createIdentity({ name: 'caller' });
const schema = z.object({ amount: z.number() });

function server(overrides: Partial<GuardOptions>) {
  const sink = createMemorySink();
  const identity = createIdentity({ name: 'server' });
  const ag = createGuard({
    identity,
    policy,
    audit: createAuditLog({ sink }),
    trust: createTrustStore([caller.id]),
    ...overrides,
  });
  const execute = vi.fn(async ({ amount }: { amount: number }) => amount);
  const pay = ag.guard({ name: 'pay', schema, execute });
  const denied = () =>
    sink.lines
      .map((l) => JSON.parse(l) as { type: string; data?: Record<string, unknown> })
      .filter((r) => r.type === 'call.denied');
  return { pay, execute, denied };
}

async function envelope(callId: string) {
  const signed = await signCall({ signer: caller, callId, tool: 'pay', args: { amount: 5 }, policyHash: 'caller' });
  return signed.envelope;
}

describe('createGuard({ replayCache })', () => {
  it('refuses a replayed envelope across two guards sharing one store (any StateStore is a ReplayCache)', async () => {
    const shared: StateStore = createMemoryStateStore();
    const [a, b] = [server({ replayCache: shared }), server({ replayCache: shared })];
    const env = await envelope('c-1');
    expect(await a.pay.safeRun({ amount: 5 }, { envelope: env })).toMatchObject({ ok: true, value: 5 });
    const again = await b.pay.safeRun({ amount: 5 }, { envelope: env });
    expect(again).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ENVELOPE_REJECTED' } });
    expect(b.execute).not.toHaveBeenCalled();
    expect(b.denied()[0]?.data?.envelopeCode).toBe('ERR_ATTESTATION_REPLAY');
  });

  it('without a shared cache, each guard remembers only its own (why servers must share one)', async () => {
    const [a, b] = [server({}), server({ replayCache: createReplayCache() })];
    const env = await envelope('c-2');
    expect((await a.pay.safeRun({ amount: 5 }, { envelope: env })).ok).toBe(true);
    expect((await b.pay.safeRun({ amount: 5 }, { envelope: env })).ok).toBe(true);
    expect((await a.pay.safeRun({ amount: 5 }, { envelope: env })).ok).toBe(false);
  });

  it('namespaces its keys and passes the envelope expiry and clock through', async () => {
    const seen: [string, number, number | undefined][] = [];
    const cache = {
      checkAndRemember: (key: string, expiresAtMs: number, nowMs?: number) => {
        seen.push([key, expiresAtMs, nowMs]);
        return true;
      },
    };
    const { pay } = server({ replayCache: cache });
    expect((await pay.safeRun({ amount: 5 }, { envelope: await envelope('c-3') })).ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0].startsWith(`agentguard:call:${caller.id} `)).toBe(true);
    expect(seen[0]?.[1]).toBeGreaterThan(Date.now());
  });

  it('fails closed when the shared cache fails', async () => {
    const { pay, execute, denied } = server({
      replayCache: { checkAndRemember: async () => Promise.reject(new Error('connection refused')) },
    });
    const outcome = await pay.safeRun({ amount: 5 }, { envelope: await envelope('c-4') });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ENVELOPE_REJECTED' } });
    expect(execute).not.toHaveBeenCalled();
    expect(denied()[0]?.data?.envelopeCode).toBe('ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE');
  });

  it.each([{}, null, 'redis://localhost', { checkAndRemember: 1 }])(
    'refuses a replayCache without checkAndRemember (%j)',
    (bad) => {
      expect(() => server({ replayCache: bad as never })).toThrow(TypeError);
    },
  );
});

const binary = findRedisServer();

describe.skipIf(binary === undefined)('createGuard({ replayCache }) on a real redis-server (loopback)', () => {
  let redis: RedisServer;
  const stores: StateStore[] = [];
  beforeAll(async () => {
    redis = await startRedisServer(binary as string);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    redis?.stop();
  });

  it('two guards, two connections, one Redis: an envelope is accepted once, and its key expires', async () => {
    const open = async () => {
      const store = await createRedisStateStore({ url: redis.url });
      stores.push(store);
      return store;
    };
    const [a, b] = [server({ replayCache: await open() }), server({ replayCache: await open() })];
    const env = await envelope('r-1');
    const results = await Promise.all([
      a.pay.safeRun({ amount: 5 }, { envelope: env }),
      b.pay.safeRun({ amount: 5 }, { envelope: env }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(a.execute.mock.calls.length + b.execute.mock.calls.length).toBe(1);
    expect([...a.denied(), ...b.denied()].map((r) => r.data?.envelopeCode)).toEqual(['ERR_ATTESTATION_REPLAY']);
    const keys = (await redis.command(['KEYS', 'agentguard:call:*'])) as string[];
    expect(keys).toHaveLength(1);
    const pttl = (await redis.command(['PTTL', keys[0] as string])) as number;
    // Remembered until the envelope expires (60 s by default) plus the verifier's skew, not forever.
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000 + 5 * 60_000);
  });
});
