import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateStoreSuite } from '../test/state-store-suite.js';
import { createPolicyEngine } from './engine.js';
import { createRedisStateStore } from './redis.js';
import { encodeCommand, parseReply } from './resp.js';
import type { StateStore } from './state-store.js';

// The suite needs Debian's redis-server (CI installs it); it is skipped only when the binary is absent.
function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}
const binary = findRedisServer();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

let child: ChildProcess | undefined;
let url = '';
const stores: StateStore[] = [];

async function startRedis(path: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const proc = spawn(path, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    for (let i = 0; i < 100; i++) {
      const up = await createRedisStateStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 200 }).then(
        async (s) => {
          await s.close();
          return true;
        },
        () => false,
      );
      if (up) {
        child = proc;
        url = `redis://127.0.0.1:${port}`;
        return;
      }
      const gone = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
      if (gone) break;
    }
    proc.kill();
  }
  throw new Error('could not start redis-server');
}

describe.skipIf(binary === undefined)('Redis state store (real redis-server on a loopback port)', () => {
  beforeAll(async () => {
    await startRedis(binary as string);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    child?.kill();
  });

  let n = 0;
  stateStoreSuite('redis', async () => {
    const store = await createRedisStateStore({ url });
    stores.push(store);
    return { store, prefix: `test:${process.pid}:${n++}:` };
  });

  it('sets a time to live on what it creates', async () => {
    const store = await createRedisStateStore({ url });
    stores.push(store);
    await store.incrBy('ttl:c', 1, 60_000);
    const { connectResp } = await import('./resp.js');
    const raw = await connectResp({
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      connectTimeoutMs: 1000,
      commandTimeoutMs: 1000,
    });
    const pttl = (await raw.command(['PTTL', 'ttl:c'])) as number;
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await raw.close();
  });

  it('shares limits between two engines (two processes, one store)', async () => {
    const a = await createRedisStateStore({ url });
    const b = await createRedisStateStore({ url });
    stores.push(a, b);
    const policy = {
      version: 1,
      rules: [{ id: 'x', effect: 'allow', tools: ['x'] }],
      limits: [{ id: 'r', tools: ['x'], rate: { calls: 2, windowMs: 60_000 } }],
    };
    const e1 = createPolicyEngine(policy, { stateStore: a, keyPrefix: 'shared:' });
    const e2 = createPolicyEngine(policy, { stateStore: b, keyPrefix: 'shared:' });
    const call = { agent: { id: 'a', name: 'a' }, tool: { name: 'x' }, args: {}, now: new Date(0) };
    const effects = [await e1.decide(call), await e2.decide(call), await e1.decide(call)].map((d) => d.effect);
    expect(effects).toEqual(['allow', 'allow', 'deny']);
  });

  it('replaces a connection the server dropped', async () => {
    const store = await createRedisStateStore({ url });
    stores.push(store);
    expect(await store.incrBy('reconnect:a', 1, 60_000)).toBe(1);
    const { connectResp } = await import('./resp.js');
    const raw = await connectResp({
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      connectTimeoutMs: 1000,
      commandTimeoutMs: 1000,
    });
    const killed = (await raw.command(['CLIENT', 'KILL', 'TYPE', 'normal'])) as number;
    await raw.close();
    expect(killed).toBeGreaterThan(0);
    // A command racing the drop may fail (and its decision deny); the store then reconnects.
    await store.incrBy('reconnect:a', 1, 60_000).catch(() => undefined);
    expect(await store.incrBy('reconnect:b', 1, 60_000)).toBe(1);
  });

  it('turns a closed store into denials', async () => {
    const store = await createRedisStateStore({ url });
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
  it('refuses a connection to a closed port with ERR_STATE_STORE', async () => {
    const port = await freePort();
    await expect(createRedisStateStore({ url: `redis://127.0.0.1:${port}` })).rejects.toMatchObject({
      code: 'ERR_STATE_STORE',
    });
  });
});
