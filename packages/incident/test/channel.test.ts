import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity } from '@agentguard/identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listenDoorbell, ringDoorbell } from '../src/control/redis.js';
import { signStatus } from '../src/control/sign.js';
import { createControlSource, type ControlSource } from '../src/control/source.js';
import { findRedisServer, type RedisServer, startRedisServer } from '../../policy/test/redis-server.js';

const operator = createIdentity({ name: 'operator' });
const redisBinary = findRedisServer();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentguard-incident-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeStatus(path: string, seq: number) {
  const signed = await signStatus({ operator, channel: 'prod', seq, measures: [] });
  const tmp = `${path}.${seq}.tmp`;
  await writeFile(tmp, JSON.stringify(signed));
  await rename(tmp, path);
}

function adopted(source: ControlSource, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const on = (s: { seq: number }) => {
      if (s.seq >= seq) {
        source.events.off('adopted', on);
        resolve();
      }
    };
    source.events.on('adopted', on);
  });
}

describe('control channels', () => {
  it('reads a status file, and refuses an oversized or missing one (reported, nothing adopted)', async () => {
    const path = join(dir, 'file-status.json');
    const source = createControlSource({ channel: 'prod', trust: [operator.id], status: path, pollMs: 3_600_000 });
    try {
      const missing = await source.refresh();
      expect(missing).toMatchObject({ ok: false, code: 'ERR_INCIDENT_SOURCE_FAILED' });
      await writeStatus(path, 1);
      expect(await source.refresh()).toMatchObject({ ok: true, status: { seq: 1 } });
      await writeFile(path, ' '.repeat(200_000));
      expect(await source.refresh()).toMatchObject({ ok: false, code: 'ERR_INCIDENT_SOURCE_FAILED' });
      expect(source.current()?.seq).toBe(1);
    } finally {
      source.close();
    }
  });

  it('reads a status over HTTP from 127.0.0.1; redirects and errors are refusals', async () => {
    let body = '';
    let status = 200;
    const server: Server = createServer((_req, res) => {
      res.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/' } : {});
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const source = createControlSource({
      channel: 'prod',
      trust: [operator.id],
      status: `http://127.0.0.1:${port}/status.json`,
      pollMs: 3_600_000,
    });
    try {
      body = JSON.stringify(await signStatus({ operator, channel: 'prod', seq: 4, measures: [] }));
      expect(await source.refresh()).toMatchObject({ ok: true, status: { seq: 4 } });
      status = 302;
      expect(await source.refresh()).toMatchObject({ ok: false, code: 'ERR_INCIDENT_SOURCE_FAILED' });
      status = 500;
      expect(await source.refresh()).toMatchObject({ ok: false, code: 'ERR_INCIDENT_SOURCE_FAILED' });
    } finally {
      source.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('a read that never settles fails at the deadline, and the next read adopts a newer status', async () => {
    const path = join(dir, 'hang-status.json');
    await writeStatus(path, 1);
    let hangNext = false;
    const source = createControlSource({
      channel: 'prod',
      trust: [operator.id],
      pollMs: 3_600_000,
      readTimeoutMs: 200,
      // The next read to start hangs forever, ignoring its signal (a FIFO at the path, a reader that never answers).
      status: async () => {
        if (hangNext) {
          hangNext = false;
          return new Promise<Uint8Array>(() => undefined);
        }
        return new Uint8Array(await readFile(path));
      },
    });
    try {
      await source.ready(5_000);
      hangNext = true;
      // A read that began before (ready() can resolve while the first is still finishing, and a refresh joins
      // it) may still answer: refresh until the hung read is the one answered, however slow the machine.
      await vi.waitFor(async () => {
        expect(await source.refresh()).toMatchObject({ ok: false, code: 'ERR_INCIDENT_SOURCE_FAILED' });
      }, 10_000);
      await writeStatus(path, 2);
      // A read that began before the write may answer the first refresh with the old status; a later one adopts it.
      await vi.waitFor(async () => {
        await source.refresh();
        expect(source.current()?.seq).toBe(2);
      }, 10_000);
    } finally {
      source.close();
    }
  });

  it('a server that answers SUBSCRIBE with an error (NOAUTH) is not taken for a subscription', async () => {
    const server = createNetServer((socket) => {
      socket.on('data', () => socket.write('-NOAUTH Authentication required.\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    let rings = 0;
    const bell = listenDoorbell({ url: `redis://127.0.0.1:${port}` }, () => {
      rings++;
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(bell.connected()).toBe(false);
      expect(rings).toBe(0);
    } finally {
      bell.close();
      await new Promise((r) => server.close(r));
    }
  });

  describe.skipIf(redisBinary === undefined)('Redis doorbell (real redis-server)', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer(redisBinary as string);
    });
    afterAll(() => redis?.stop());

    it('a ring makes the source read at once; a ring with nothing new (or garbage) adopts nothing', async () => {
      const path = join(dir, 'redis-status.json');
      await writeStatus(path, 1);
      // Polling every hour: only the doorbell can explain a prompt read.
      const source = createControlSource({
        channel: 'prod',
        trust: [operator.id],
        status: path,
        pollMs: 3_600_000,
        redis: { url: redis.url },
      });
      try {
        await source.ready(5_000);
        // Wait for the subscription to be up (the doorbell reads once on subscribing).
        for (let i = 0; i < 100 && (await ringDoorbell({ url: redis.url }, 0)) === 0; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        await writeStatus(path, 2);
        const got = adopted(source, 2);
        expect(await ringDoorbell({ url: redis.url }, 2)).toBeGreaterThan(0);
        await got;
        expect(source.current()?.seq).toBe(2);
        // Anyone able to publish can only make guards read early: a forged "seq 99" changes nothing.
        let rejected = 0;
        source.events.on('adopted', () => {
          rejected = -1000;
        });
        await ringDoorbell({ url: redis.url }, 99);
        await source.refresh();
        expect(rejected).toBe(0);
        expect(source.current()?.seq).toBe(2);
      } finally {
        source.close();
      }
    });

    it('a flood of rings cannot drive reads faster than one per 100 ms', async () => {
      const path = join(dir, 'flood-status.json');
      await writeStatus(path, 1);
      let reads = 0;
      const source = createControlSource({
        channel: 'prod',
        trust: [operator.id],
        pollMs: 3_600_000,
        redis: { url: redis.url },
        status: async () => {
          reads++;
          return new Uint8Array(await readFile(path));
        },
      });
      try {
        await source.ready(5_000);
        for (let i = 0; i < 100 && (await ringDoorbell({ url: redis.url }, 0)) === 0; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        const before = reads;
        const start = Date.now();
        while (Date.now() - start < 500) await ringDoorbell({ url: redis.url }, 1);
        await new Promise((r) => setTimeout(r, 150));
        // 500 ms of rings (hundreds of them) and the tail: at most one read per 100 ms, plus the one under way.
        expect(reads - before).toBeLessThanOrEqual(8);
        expect(reads - before).toBeGreaterThan(0);
      } finally {
        source.close();
      }
    });
  });
});
