import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { connectResp } from '../src/state/resp.js';

/** Debian's redis-server on PATH (CI installs it), or undefined: suites needing it are skipped only then. */
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

/** A free TCP port on 127.0.0.1 (tests talk to loopback only). */
export function freePort(): Promise<number> {
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
  readonly port: number;
  readonly url: string;
  /** Sends one command on a fresh built-in connection (for assertions behind the store's back). */
  command(args: readonly (string | number)[]): Promise<unknown>;
  stop(): void;
}

/** Starts redis-server on a free 127.0.0.1 port (retrying if another process takes the port first). */
export async function startRedisServer(binary: string, extra: readonly string[] = []): Promise<RedisServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra];
    const proc: ChildProcess = spawn(binary, args, { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const command = async (cmd: readonly (string | number)[]) => {
      const c = await connectResp({ host: '127.0.0.1', port, connectTimeoutMs: 1000, commandTimeoutMs: 2000 });
      try {
        return await c.command(cmd);
      } finally {
        await c.close();
      }
    };
    for (let i = 0; i < 100; i++) {
      if ((await command(['PING']).catch(() => undefined)) === 'PONG') {
        return { port, url: `redis://127.0.0.1:${port}`, command, stop: () => proc.kill() };
      }
      const gone = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
      if (gone) break;
    }
    proc.kill();
  }
  throw new Error('could not start redis-server');
}
