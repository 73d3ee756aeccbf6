/**
 * The zero-dependency fallback: a {@link RedisCommandRunner} over the built-in
 * RESP2 client, for a plain `redis://` URL on a trusted network (loopback, a
 * sidecar). No TLS, Cluster or Sentinel: pass your own client for those
 * (see docs/decisions/0006-redis-clients.md).
 */
import { PolicyError } from '../errors.js';
import type { RedisCommandRunner } from './redis-client.js';
import { connectResp, type RespClient } from './resp.js';

/** A runner that owns its connection and can close it. */
export interface OwnedRunner extends RedisCommandRunner {
  close(): Promise<void>;
}

/** Options of {@link connectUrl}. */
export interface UrlRunnerOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/**
 * Connects to `redis://[[username]:password@]host[:port][/db]`, authenticating and selecting the
 * database on every (re)connection.
 * @throws TypeError for any other scheme (`rediss://` included: pass a TLS-capable client instead).
 * @throws PolicyError `ERR_POLICY_STATE_STORE` when the server cannot be reached or refuses AUTH/SELECT.
 */
export async function connectUrl(options: UrlRunnerOptions): Promise<OwnedRunner> {
  const url = new URL(options.url);
  if (url.protocol === 'rediss:') {
    throw new TypeError(
      '"url" rediss:// (TLS) is not supported by the built-in client: pass a node-redis or ioredis client as "client"',
    );
  }
  if (url.protocol !== 'redis:') throw new TypeError(`"url" expected a redis:// URL, got ${url.protocol}`);
  const connectOptions = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
  };
  const open = async (): Promise<RespClient> => {
    const c = await connectResp(connectOptions);
    try {
      if (url.password !== '') {
        const user = decodeURIComponent(url.username);
        const password = decodeURIComponent(url.password);
        await c.command(user === '' ? ['AUTH', password] : ['AUTH', user, password]);
      }
      const db = url.pathname.replace(/^\//, '');
      if (db !== '') await c.command(['SELECT', Number(db)]);
    } catch (error) {
      await c.close();
      throw error;
    }
    return c;
  };
  let current: Promise<RespClient> = Promise.resolve(await open());
  let closedByUser = false;
  return {
    // A broken connection (server restart, network) is replaced on the next command; the
    // commands that were in flight fail, and the decisions waiting on them deny.
    async send(args) {
      if (closedByUser) throw new PolicyError('ERR_POLICY_STATE_STORE', 'redis: store closed');
      let c = await current;
      if (!c.alive) {
        const next = open();
        current = next;
        c = await next.catch((error: unknown) => {
          if (current === next) current = Promise.resolve(c);
          throw error;
        });
      }
      return c.command(args);
    },
    async close() {
      closedByUser = true;
      await (await current).close();
    },
  };
}
