/**
 * `@agentguard/policy/redis`: a {@link StateStore} in Redis, so that several
 * processes share one set of rate limits, budgets, concurrency counts,
 * session taint and approval nonces. Each operation is a single Lua script,
 * which Redis runs atomically. Node-only (it uses `node:net`).
 */
import { PolicyError } from './errors.js';
import { connectResp, type RespClient, type RespValue } from './resp.js';
import type { StateStore, TakeResult, TokenBucket } from './state-store.js';

/** Options of {@link createRedisStateStore}. */
export interface RedisStateStoreOptions {
  /**
   * Server URL: `redis://[[username]:password@]host[:port][/db]`.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly url?: string;
  /**
   * How long to wait for the connection.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long to wait for each reply before the store fails (and decisions deny).
   * @default 5000
   */
  readonly commandTimeoutMs?: number;
}

// KEYS[1] counter; ARGV[1] step, ARGV[2] ttl. The TTL is set when the key is new (fixed window).
const INCR = `local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

// KEYS[1] bucket hash; ARGV capacity, refill/s, cost, now ms. Same arithmetic as the memory store.
const TAKE = `local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local cost = tonumber(ARGV[3]); local now = tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(h[1]); local at = tonumber(h[2])
if tokens == nil or at == nil then tokens = cap; at = now end
tokens = math.min(cap, tokens + math.max(0, now - at) / 1000 * rate)
at = math.max(at, now)
local ok = 0
if tokens >= cost then tokens = math.min(cap, tokens - cost); ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((cap - tokens + cost) / rate * 1000)))
return {ok, string.format('%.17g', tokens)}`;

const SADD = `redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`"${name}" expected a positive number, got ${value}`);
  return Math.ceil(value);
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('"key" expected a non-empty string');
}

/**
 * Connects to Redis and returns a {@link StateStore} backed by it.
 *
 * @param options - see {@link RedisStateStoreOptions}.
 * @returns the connected store; call `close()` when done.
 * @throws PolicyError `ERR_STATE_STORE` when the server cannot be reached or refuses AUTH/SELECT.
 * @example
 * ```ts
 * import { createRedisStateStore } from '@agentguard/policy/redis';
 * const stateStore = await createRedisStateStore({ url: 'redis://127.0.0.1:6379' });
 * const engine = createPolicyEngine(policy, { stateStore });
 * ```
 */
export async function createRedisStateStore(options: RedisStateStoreOptions = {}): Promise<StateStore> {
  const url = new URL(options.url ?? 'redis://127.0.0.1:6379');
  if (url.protocol !== 'redis:') throw new TypeError(`"url" expected a redis:// URL, got ${url.protocol}`);
  const connectOptions = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    commandTimeoutMs: options.commandTimeoutMs ?? 5000,
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
  // A broken connection (server restart, network) is replaced on the next command; the
  // commands that were in flight fail, and the decisions waiting on them deny.
  const command = async (args: readonly (string | number)[]): Promise<RespValue> => {
    if (closedByUser) throw new PolicyError('ERR_STATE_STORE', 'redis: store closed');
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
  };
  const number = (v: RespValue, what: string): number => {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw new PolicyError('ERR_STATE_STORE', `redis: ${what} returned ${JSON.stringify(v)}`);
    return n;
  };
  return Object.freeze({
    async incrBy(key: string, n: number, ttlMs: number): Promise<number> {
      checkKey(key);
      if (!Number.isFinite(n)) throw new RangeError(`"n" expected a finite number, got ${n}`);
      const ttl = positive(ttlMs, 'ttlMs');
      return number(await command(['EVAL', INCR, 1, key, String(n), ttl]), 'incrBy');
    },
    async take(key: string, bucket: TokenBucket): Promise<TakeResult> {
      checkKey(key);
      const { capacity, refillPerSecond, cost, nowMs } = bucket;
      const reply = await command(['EVAL', TAKE, 1, key, capacity, refillPerSecond, cost, nowMs]);
      if (!Array.isArray(reply) || reply.length !== 2) {
        throw new PolicyError('ERR_STATE_STORE', 'redis: take returned an unexpected reply');
      }
      return { ok: number(reply[0] as RespValue, 'take') === 1, remaining: number(reply[1] as RespValue, 'take') };
    },
    async addToSet(key: string, members: readonly string[], ttlMs: number): Promise<void> {
      checkKey(key);
      const ttl = positive(ttlMs, 'ttlMs');
      if (members.length === 0) return;
      await command(['EVAL', SADD, 1, key, ttl, ...members]);
    },
    async members(key: string): Promise<readonly string[]> {
      checkKey(key);
      const reply = await command(['SMEMBERS', key]);
      return Array.isArray(reply) ? reply.map(String).sort() : [];
    },
    async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
      checkKey(key);
      const ttl = positive(ttlMs, 'ttlMs');
      return (await command(['SET', key, '1', 'NX', 'PX', ttl])) === 'OK';
    },
    async close(): Promise<void> {
      closedByUser = true;
      await (await current).close();
    },
  });
}
