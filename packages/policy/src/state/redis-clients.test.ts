import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, type RedisServer, startRedisServer } from '../../test/redis-server.js';
import { stateStoreSuite } from '../../test/state-store-suite.js';
import { createPolicyEngine } from '../engine/engine.js';
import { createRedisStateStore } from '../redis.js';
import { type RedisClientLike, toCommandRunner } from './redis-client.js';

// The user's own clients (optional peer dependencies) against a real redis-server on loopback.
const binary = findRedisServer();

interface Client {
  readonly name: string;
  open(url: string): Promise<{ client: Parameters<typeof createRedisStateStore>[0]; quit(): Promise<unknown> }>;
}

const clients: Client[] = [
  {
    name: 'node-redis v5 (RESP2)',
    async open(url) {
      const client = await createClient({ url }).connect();
      return { client: { client }, quit: () => client.close() };
    },
  },
  {
    name: 'node-redis v5 (RESP3)',
    async open(url) {
      const client = await createClient({ url, RESP: 3 }).connect();
      return { client: { client }, quit: () => client.close() };
    },
  },
  {
    name: 'ioredis',
    async open(url) {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      return { client: { client }, quit: () => client.quit() };
    },
  },
];

describe.skipIf(binary === undefined)('Redis state store over the user’s client', () => {
  let server: RedisServer;
  const quits: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    server = await startRedisServer(binary as string);
  });
  afterAll(async () => {
    for (const quit of quits) await quit();
    server?.stop();
  });

  for (const { name, open } of clients) {
    const store = async () => {
      const c = await open(server.url);
      quits.push(c.quit);
      return createRedisStateStore(c.client);
    };
    let n = 0;
    stateStoreSuite(name, async () => ({ store: await store(), prefix: `${name}:${process.pid}:${n++}:` }));

    it(`${name}: shares limits with a store on another client, and with the built-in client`, async () => {
      const builtIn = await createRedisStateStore({ url: server.url });
      const policy = {
        version: 1,
        rules: [{ id: 'x', effect: 'allow', tools: ['x'] }],
        limits: [{ id: 'r', tools: ['x'], rate: { calls: 2, windowMs: 60_000 } }],
      };
      const keyPrefix = `shared:${name}:`;
      const e1 = createPolicyEngine(policy, { stateStore: await store(), keyPrefix });
      const e2 = createPolicyEngine(policy, { stateStore: builtIn, keyPrefix });
      const call = { agent: { id: 'a', name: 'a' }, tool: { name: 'x' }, args: {}, nowMs: 0 };
      const effects = [await e1.decide(call), await e2.decide(call), await e1.decide(call)].map((d) => d.effect);
      expect(effects).toEqual(['allow', 'allow', 'deny']);
      await builtIn.close();
    });

    it(`${name}: reloads scripts after SCRIPT FLUSH, and close() leaves the client open`, async () => {
      const c = await open(server.url);
      quits.push(c.quit);
      const s = await createRedisStateStore(c.client);
      expect(await s.incrBy(`flush:${name}`, 1, 60_000)).toBe(1);
      await server.command(['SCRIPT', 'FLUSH']);
      expect(await s.incrBy(`flush:${name}`, 1, 60_000)).toBe(2);
      await s.close();
      await expect(s.incrBy(`flush:${name}`, 1, 60_000)).rejects.toMatchObject({ code: 'ERR_POLICY_STATE_STORE' });
      const again = await createRedisStateStore(c.client);
      expect(await again.incrBy(`flush:${name}`, 1, 60_000)).toBe(3);
    });

    it(`${name}: a script error becomes ERR_POLICY_STATE_STORE (a key of the wrong type)`, async () => {
      const s = await store();
      await server.command(['SET', `wrongtype:${name}`, 'x']);
      await expect(
        s.take(`wrongtype:${name}`, { capacity: 1, refillPerSecond: 1, cost: 1, nowMs: 0 }),
      ).rejects.toMatchObject({
        code: 'ERR_POLICY_STATE_STORE',
        message: expect.stringMatching(/WRONGTYPE/),
      });
    });
  }
});

describe('cluster clients (shape and routing, not connected)', () => {
  it('sends node-redis cluster commands with the key as firstKey, to the master', async () => {
    const cluster = createCluster({ rootNodes: [] });
    const seen: unknown[] = [];
    const sendCommand = async (...args: unknown[]) => {
      seen.push(args);
      return 'OK';
    };
    Object.assign(cluster, { sendCommand });
    const typed: RedisClientLike = cluster;
    expect(await toCommandRunner(typed).send(['SET', 'k', '1', 'NX', 'PX', '10'], 'k')).toBe('OK');
    expect(seen).toEqual([['k', false, ['SET', 'k', '1', 'NX', 'PX', '10']]]);
  });
  it('sends ioredis cluster commands through call(), which routes by the declared keys', async () => {
    const cluster = new Cluster([], { lazyConnect: true });
    const seen: unknown[] = [];
    const call = async (...args: unknown[]) => {
      seen.push(args);
      return 1;
    };
    Object.assign(cluster, { call });
    const typed: RedisClientLike = cluster;
    expect(await toCommandRunner(typed).send(['EVALSHA', 'abc', '1', 'k', '2'], 'k')).toBe(1);
    expect(seen).toEqual([['EVALSHA', ['abc', '1', 'k', '2']]]);
    cluster.disconnect();
  });
});
