import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, freePort, type RedisServer, startRedisServer } from '../test/redis-server.js';
import { stateStoreSuite } from '../test/state-store-suite.js';
import { createPolicyEngine } from './engine/engine.js';
import { createRedisStateStore } from './redis.js';
import { encodeCommand, parseReply } from './state/resp.js';
import type { StateStore } from './state/state-store.js';

const binary = findRedisServer();

describe.skipIf(binary === undefined)('Redis state store, built-in client (real redis-server on loopback)', () => {
  let server: RedisServer;
  const stores: StateStore[] = [];
  const open = async () => {
    const store = await createRedisStateStore({ url: server.url });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    server = await startRedisServer(binary as string);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    server?.stop();
  });

  let n = 0;
  stateStoreSuite('redis (built-in client)', async () => ({
    store: await open(),
    prefix: `test:${process.pid}:${n++}:`,
  }));

  it('sets a time to live on what it creates', async () => {
    const store = await open();
    await store.incrBy('ttl:c', 1, 60_000);
    const pttl = (await server.command(['PTTL', 'ttl:c'])) as number;
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('shares limits between two engines (two processes, one store)', async () => {
    const [a, b] = [await open(), await open()];
    const policy = {
      version: 1,
      rules: [{ id: 'x', effect: 'allow', tools: ['x'] }],
      limits: [{ id: 'r', tools: ['x'], rate: { calls: 2, windowMs: 60_000 } }],
    };
    const e1 = createPolicyEngine(policy, { stateStore: a, keyPrefix: 'shared:' });
    const e2 = createPolicyEngine(policy, { stateStore: b, keyPrefix: 'shared:' });
    const call = { agent: { id: 'a', name: 'a' }, tool: { name: 'x' }, args: {}, nowMs: 0 };
    const effects = [await e1.decide(call), await e2.decide(call), await e1.decide(call)].map((d) => d.effect);
    expect(effects).toEqual(['allow', 'allow', 'deny']);
  });

  it('replaces a connection the server dropped', async () => {
    const store = await open();
    expect(await store.incrBy('reconnect:a', 1, 60_000)).toBe(1);
    expect(await server.command(['CLIENT', 'KILL', 'TYPE', 'normal'])).toBeGreaterThan(0);
    // A command racing the drop may fail (and its decision deny); the store then reconnects.
    await store.incrBy('reconnect:a', 1, 60_000).catch(() => undefined);
    expect(await store.incrBy('reconnect:b', 1, 60_000)).toBe(1);
  });

  it('reloads its scripts after the server forgot them (NOSCRIPT)', async () => {
    const store = await open();
    expect(await store.incrBy('noscript:a', 1, 60_000)).toBe(1);
    expect(await server.command(['SCRIPT', 'FLUSH'])).toBe('OK');
    expect(await store.incrBy('noscript:a', 1, 60_000)).toBe(2);
  });

  it('turns a closed store into denials', async () => {
    const store = await createRedisStateStore({ url: server.url });
    await store.close();
    const engine = createPolicyEngine(
      {
        version: 1,
        rules: [{ id: 'x', effect: 'allow', tools: ['x'] }],
        limits: [{ id: 'r', tools: ['x'], concurrency: 1 }],
      },
      { stateStore: store },
    );
    const d = await engine.decide({ agent: { id: 'a', name: 'a' }, tool: { name: 'x' }, args: {} });
    expect(d.effect).toBe('deny');
    expect(d.reason).toMatch(/redis: store closed/);
  });
});

describe('Redis state store options', () => {
  it('refuses a connection to a closed port with ERR_POLICY_STATE_STORE', async () => {
    const port = await freePort();
    await expect(createRedisStateStore({ url: `redis://127.0.0.1:${port}` })).rejects.toMatchObject({
      code: 'ERR_POLICY_STATE_STORE',
    });
  });
  it.each<[string, Parameters<typeof createRedisStateStore>[0], RegExp]>([
    ['rediss:// on the built-in client', { url: 'rediss://127.0.0.1:1' }, /rediss:\/\/ \(TLS\) is not supported/],
    ['another scheme', { url: 'http://127.0.0.1:1' }, /expected a redis:\/\/ URL/],
    ['both client and url', { url: 'redis://127.0.0.1:1', client: { send: async () => 'OK' } }, /one or the other/],
    ['a client of no known shape', { client: {} as never }, /expected a node-redis client or cluster/],
    ['a null client', { client: null as never }, /got null/],
    ['a zero timeout', { client: { send: async () => 'OK' }, commandTimeoutMs: 0 }, /"commandTimeoutMs" expected/],
  ])('throws a TypeError or RangeError for %s', async (_, options, message) => {
    await expect(createRedisStateStore(options)).rejects.toThrow(message);
  });
});

describe('Redis state store over a runner (no server)', () => {
  it('fails closed with ERR_POLICY_STATE_STORE when a client never answers', async () => {
    const store = await createRedisStateStore({ client: { send: () => new Promise(() => {}) }, commandTimeoutMs: 20 });
    await expect(store.checkAndRemember('k', Date.now() + 1000)).rejects.toMatchObject({
      code: 'ERR_POLICY_STATE_STORE',
      message: 'redis: no reply within 20 ms',
    });
  });
  it('wraps a client error in ERR_POLICY_STATE_STORE, keeping it as the cause', async () => {
    const cause = new Error('READONLY You cannot write against a read only replica.');
    const store = await createRedisStateStore({ client: { send: () => Promise.reject(cause) } });
    await expect(store.incrBy('k', 1, 1000)).rejects.toMatchObject({ code: 'ERR_POLICY_STATE_STORE', cause });
  });
  it('refuses a reply of an unexpected shape', async () => {
    const store = await createRedisStateStore({ client: { send: async () => ({ odd: true }) } });
    await expect(store.members('k')).rejects.toMatchObject({ code: 'ERR_POLICY_STATE_STORE' });
    const numbers = await createRedisStateStore({ client: { send: async () => 'not a number' } });
    await expect(numbers.incrBy('k', 1, 1000)).rejects.toMatchObject({ code: 'ERR_POLICY_STATE_STORE' });
  });
  it('sends EVALSHA first, then EVAL once on NOSCRIPT, with the key for routing', async () => {
    const sent: [string, string][] = [];
    const client = {
      send: async (args: readonly string[], key: string) => {
        sent.push([args[0] as string, key]);
        if (args[0] === 'EVALSHA') throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        return '3';
      },
    };
    const store = await createRedisStateStore({ client });
    expect(await store.incrBy('the-key', 3, 1000)).toBe(3);
    expect(sent).toEqual([
      ['EVALSHA', 'the-key'],
      ['EVAL', 'the-key'],
    ]);
  });
});

describe('RESP encoding', () => {
  it('encodes commands as arrays of bulk strings (UTF-8 lengths)', () => {
    expect(encodeCommand(['SET', 'k', 'é']).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  });
  it.each<[string, unknown]>([
    ['+OK\r\n', 'OK'],
    [':42\r\n', 42],
    ['$-1\r\n', null],
    ['$5\r\nhello\r\n', 'hello'],
    ['*2\r\n$1\r\na\r\n:1\r\n', ['a', 1]],
    ['*-1\r\n', null],
  ])('parses %j', (wire, expected) => {
    const r = parseReply(Buffer.from(wire), 0);
    expect(r).not.toBe(Symbol.for('incomplete'));
    expect((r as [unknown, number])[0]).toEqual(expected);
  });
  it('waits for the rest of a split reply', () => {
    expect(typeof parseReply(Buffer.from('$5\r\nhel'), 0)).toBe('symbol');
    expect(typeof parseReply(Buffer.from('*2\r\n:1\r\n'), 0)).toBe('symbol');
  });
});
