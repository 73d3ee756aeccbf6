import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { ringDoorbell } from '../src/control/redis.js';

/** redis-server on PATH, or undefined (suites needing it are skipped only then). */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

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

/** A redis-server child on a loopback port, without persistence. */
export interface RedisServer {
  readonly url: string;
  stop(): void;
}

/** Starts redis-server on a free 127.0.0.1 port; ready once it answers a PUBLISH. */
export async function startRedisServer(binary: string): Promise<RedisServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const proc: ChildProcess = spawn(binary, args, { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if ((await ringDoorbell({ url, channel: 'agentguard:probe' }, 0, 500).catch(() => undefined)) !== undefined) {
        return { url, stop: () => proc.kill() };
      }
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill();
  }
  throw new Error('could not start redis-server');
}
