/**
 * `@agentguard/policy/redis`: a {@link StateStore} in Redis, so that several
 * processes share one set of rate limits, budgets, concurrency counts,
 * session taint and approval nonces. Each operation is a single command (most
 * a Lua script), which Redis runs atomically, whichever client sends it.
 *
 * Bring your own client (node-redis v5 or ioredis, optional peer dependencies):
 * TLS, Cluster, Sentinel, auth and reconnection are then the client's job. A
 * `url` instead uses the built-in zero-dependency RESP2 client (plain TCP).
 */
import { createHash } from 'node:crypto';
import { PolicyError } from './errors.js';
import { normaliseReply, type RedisClientLike, type RedisReply, toCommandRunner } from './state/redis-client.js';
import { connectUrl } from './state/redis-url.js';
import { rememberFor, type StateStore, type TakeResult, type TokenBucket } from './state/state-store.js';

export type {
  IoredisLike,
  NodeRedisClientLike,
  NodeRedisClusterLike,
  RedisClientLike,
  RedisCommandRunner,
} from './state/redis-client.js';

/** Options of {@link createRedisStateStore}. Give `client` or `url`, not both. */
export interface RedisStateStoreOptions {
  /**
   * Your connected client: node-redis v5 (`createClient()`, `createCluster()`, Sentinel), ioredis
   * (`new Redis()`, `new Redis.Cluster()`), or any `{ send(args, key) }`. The store never connects,
   * quits or reconfigures it: `close()` leaves it open.
   * @default none (the built-in client on `url`)
   */
  readonly client?: RedisClientLike;
  /**
   * Server URL for the built-in client: `redis://[[username]:password@]host[:port][/db]`. Plain TCP only;
   * `rediss://` is refused (pass a TLS-configured `client`).
   * @default 'redis://127.0.0.1:6379' (when no `client` is given)
   */
  readonly url?: string;
  /**
   * How long the built-in client waits for the connection.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long to wait for each reply before the store fails (and decisions deny), whichever the client:
   * a client that queues commands while it reconnects must not hold a decision forever.
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

function timeout(ms: number | undefined, name: string): number {
  const value = ms ?? 5000;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`"${name}" expected a positive number, got ${ms}`);
  return value;
}

const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Returns a {@link StateStore} backed by Redis: over your own client, or over the built-in one on `url`.
 *
 * Scripts are sent as `EVALSHA`, and as `EVAL` once when the server answers `NOSCRIPT` (a restart, a
 * failover, a cluster node that has not seen them yet); both run the script atomically.
 *
 * @param options - see {@link RedisStateStoreOptions}.
 * @returns the store; call `close()` when done (it closes the built-in client only, never yours).
 * @throws TypeError when both `client` and `url` are given, `client` has an unknown shape, or `url` is not `redis://`.
 * @throws PolicyError `ERR_POLICY_STATE_STORE` when the built-in client cannot reach the server or AUTH/SELECT fail.
 * @example
 * ```ts
 * import { createClient } from 'redis'; // or: import { Redis } from 'ioredis'
 * import { createRedisStateStore } from '@agentguard/policy/redis';
 * const client = await createClient({ url: 'rediss://cache.internal:6380' }).connect();
 * const stateStore = await createRedisStateStore({ client });
 * const engine = createPolicyEngine(policy, { stateStore });
 * ```
 */
export async function createRedisStateStore(options: RedisStateStoreOptions = {}): Promise<StateStore> {
  if (options.client !== undefined && options.url !== undefined) {
    throw new TypeError('"client" and "url" expected one or the other, got both');
  }
  const commandTimeoutMs = timeout(options.commandTimeoutMs, 'commandTimeoutMs');
  const connectTimeoutMs = timeout(options.connectTimeoutMs, 'connectTimeoutMs');
  const owned =
    options.client === undefined
      ? await connectUrl({ url: options.url ?? 'redis://127.0.0.1:6379', connectTimeoutMs, commandTimeoutMs })
      : undefined;
  const runner = owned ?? toCommandRunner(options.client as RedisClientLike);
  let closed = false;

  const send = async (args: readonly string[], key: string): Promise<RedisReply> => {
    if (closed) throw new PolicyError('ERR_POLICY_STATE_STORE', 'redis: store closed');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PolicyError('ERR_POLICY_STATE_STORE', `redis: no reply within ${commandTimeoutMs} ms`)),
        commandTimeoutMs,
      );
    });
    try {
      return normaliseReply(await Promise.race([runner.send(args, key), late]));
    } finally {
      clearTimeout(timer);
    }
  };
  const fail = (error: unknown): never => {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError('ERR_POLICY_STATE_STORE', `redis: ${message(error)}`, { cause: error });
  };
  const script = (body: string) => {
    const sha = sha1(body);
    return async (key: string, args: readonly (string | number)[]): Promise<RedisReply> => {
      const rest = [key, ...args.map(String)];
      try {
        return await send(['EVALSHA', sha, '1', ...rest], key);
      } catch (error) {
        // The script cache is empty (restart, failover, new node): the script did not run, send it whole.
        if (!/^NOSCRIPT\b/.test(message(error).replace(/^redis: /, ''))) return fail(error);
      }
      return send(['EVAL', body, '1', ...rest], key).catch(fail);
    };
  };
  const incr = script(INCR);
  const take = script(TAKE);
  const sadd = script(SADD);
  const number = (v: RedisReply | undefined, what: string): number => {
    const n = typeof v === 'number' ? v : Number(v);
    if (v === null || v === undefined || !Number.isFinite(n)) {
      throw new PolicyError('ERR_POLICY_STATE_STORE', `redis: ${what} returned ${JSON.stringify(v)}`);
    }
    return n;
  };
  return Object.freeze({
    async incrBy(key: string, n: number, ttlMs: number): Promise<number> {
      checkKey(key);
      if (!Number.isFinite(n)) throw new RangeError(`"n" expected a finite number, got ${n}`);
      const ttl = positive(ttlMs, 'ttlMs');
      return number(await incr(key, [n, ttl]), 'incrBy');
    },
    async take(key: string, bucket: TokenBucket): Promise<TakeResult> {
      checkKey(key);
      const { capacity, refillPerSecond, cost, nowMs } = bucket;
      const reply = await take(key, [capacity, refillPerSecond, cost, nowMs]);
      if (!Array.isArray(reply) || reply.length !== 2) {
        throw new PolicyError('ERR_POLICY_STATE_STORE', 'redis: take returned an unexpected reply');
      }
      return { ok: number(reply[0], 'take') === 1, remaining: number(reply[1], 'take') };
    },
    async addToSet(key: string, members: readonly string[], ttlMs: number): Promise<void> {
      checkKey(key);
      const ttl = positive(ttlMs, 'ttlMs');
      if (members.length === 0) return;
      await sadd(key, [ttl, ...members]);
    },
    async members(key: string): Promise<readonly string[]> {
      checkKey(key);
      const reply = await send(['SMEMBERS', key], key).catch(fail);
      return Array.isArray(reply) ? reply.map(String).sort() : [];
    },
    async checkAndRemember(key: string, expiresAtMs: number, nowMs?: number): Promise<boolean> {
      checkKey(key);
      // A relative PX from the caller's clock, not PXAT: the verdict must not depend on Redis's clock agreeing.
      const ttl = rememberFor(expiresAtMs, nowMs ?? Date.now());
      return (await send(['SET', key, '1', 'NX', 'PX', String(ttl)], key).catch(fail)) === 'OK';
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await owned?.close();
    },
  });
}
