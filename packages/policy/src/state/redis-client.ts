/**
 * The few things the Redis state store needs from a Redis client, and adapters
 * for the user's own client: node-redis v5 (`redis`), ioredis, or any object
 * with a `send` method. No client library is imported: they are matched by
 * shape, so neither is a dependency of `@agentguard/policy`.
 */
import { PolicyError } from '../errors.js';

/**
 * The one operation the store needs: send a command, get its reply. Every store operation is a
 * single command (an `EVALSHA`/`EVAL` of a Lua script, `SMEMBERS` or `SET … NX PX`), so atomicity
 * is Redis's and not the client's.
 */
export interface RedisCommandRunner {
  /**
   * Sends one command and resolves with its reply.
   * @param args - the command and its arguments, e.g. `['SET', key, '1', 'NX', 'PX', '60000']`.
   * @param key - the one key the command touches, for clients that route by key (Cluster).
   */
  send(args: readonly string[], key: string): Promise<unknown>;
}

/** A node-redis v5 client (`createClient()`, also Sentinel clients): only `sendCommand(args)` is used. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A node-redis v5 cluster (`createCluster()`): only `sendCommand(firstKey, isReadonly, args)` is used. */
export interface NodeRedisClusterLike {
  readonly masters: unknown;
  sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
}

/** An ioredis client or cluster (`new Redis()`, `new Redis.Cluster()`): only `call(command, args)` is used. */
export interface IoredisLike {
  call(command: string, args: string[]): Promise<unknown>;
}

/** What `createRedisStateStore({ client })` accepts. */
export type RedisClientLike = NodeRedisClientLike | NodeRedisClusterLike | IoredisLike | RedisCommandRunner;

const has = (value: object, name: string): boolean => typeof (value as Record<string, unknown>)[name] === 'function';

/**
 * Wraps a user's client as a {@link RedisCommandRunner}. Detection order: ioredis (`call`), node-redis
 * cluster (`sendCommand` and `masters`), node-redis (`sendCommand`), a runner (`send`).
 *
 * @param client - a connected client; connecting, TLS, auth, reconnecting and cluster routing stay its job.
 * @returns a runner over it.
 * @throws TypeError when `client` matches none of those shapes.
 */
export function toCommandRunner(client: RedisClientLike): RedisCommandRunner {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(
      `"client" expected a node-redis or ioredis client, got ${client === null ? 'null' : typeof client}`,
    );
  }
  if (has(client, 'call')) {
    const c = client as IoredisLike;
    return { send: ([command, ...args]) => c.call(command as string, args) };
  }
  if (has(client, 'sendCommand') && 'masters' in client) {
    const c = client as NodeRedisClusterLike;
    // isReadonly false: every store command may write, so it goes to the key's master.
    return { send: (args, key) => c.sendCommand(key, false, [...args]) };
  }
  if (has(client, 'sendCommand')) {
    const c = client as NodeRedisClientLike;
    return { send: (args) => c.sendCommand([...args]) };
  }
  if (has(client, 'send')) return client as RedisCommandRunner;
  throw new TypeError('"client" expected a node-redis client or cluster, an ioredis client or cluster, or { send }');
}

/** A reply decoded the same whatever the client: strings (not Buffers), numbers, null, arrays (not Sets). */
export type RedisReply = string | number | null | RedisReply[];

/**
 * Normalises a client's reply: Buffers become UTF-8 strings, RESP3 Sets become sorted-later arrays,
 * bigints numbers; anything else is a store failure (so the decision waiting on it denies).
 */
export function normaliseReply(value: unknown): RedisReply {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (Array.isArray(value)) return value.map(normaliseReply);
  if (value instanceof Set) return [...value].map(normaliseReply);
  throw new PolicyError('ERR_POLICY_STATE_STORE', `redis: unexpected reply of type ${typeof value}`);
}
