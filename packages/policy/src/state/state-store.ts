import { PolicyError } from '../errors.js';

/**
 * Where rate limits, budgets, concurrency counts, session taint and approval
 * nonces live. Every operation is atomic on its own, so that several
 * processes sharing one store (e.g. Redis) never over-grant.
 */
export interface StateStore {
  /**
   * Adds `n` (may be negative or fractional) to the counter at `key` and
   * returns the new value. A counter that did not exist starts at 0 and
   * expires `ttlMs` after it was created.
   */
  incrBy(key: string, n: number, ttlMs: number): Promise<number>;
  /** Token bucket: refills `key` for the time since its last use, then takes `cost` tokens if there are enough. */
  take(key: string, bucket: TokenBucket): Promise<TakeResult>;
  /** Adds `members` to the set at `key`; the set expires `ttlMs` after this call. */
  addToSet(key: string, members: readonly string[], ttlMs: number): Promise<void>;
  /** The members of the set at `key` (empty when there is none). */
  members(key: string): Promise<readonly string[]>;
  /**
   * Remembers `key` once: atomically, when it is not remembered (or has expired), remember it until
   * `expiresAtMs` and return true; otherwise return false. The same method as a `ReplayCache` of
   * `@agentguard/attestation`, so any store is also a replay cache (approval nonces, call envelopes).
   *
   * @param key - opaque, non-empty.
   * @param expiresAtMs - epoch milliseconds after which the key may be forgotten.
   * @param nowMs - the caller's clock, epoch milliseconds; the store's own clock when absent.
   * @throws PolicyError `ERR_POLICY_STATE_STORE` when the store cannot answer (callers fail closed).
   */
  checkAndRemember(key: string, expiresAtMs: number, nowMs?: number): Promise<boolean>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/**
 * @internal How long {@link StateStore.checkAndRemember} keeps a key: until `expiresAtMs` on the caller's clock,
 * and at least 1 ms, so that a key at the edge of its window is still refused once.
 * @throws TypeError when `expiresAtMs` or `nowMs` is not a finite number.
 */
export function rememberFor(expiresAtMs: number, nowMs: number): number {
  if (!Number.isFinite(expiresAtMs)) throw new TypeError(`"expiresAtMs" expected a finite number, got ${expiresAtMs}`);
  if (!Number.isFinite(nowMs)) throw new TypeError(`"nowMs" expected a finite number, got ${nowMs}`);
  return Math.max(1, Math.ceil(expiresAtMs - nowMs));
}

/** Parameters of {@link StateStore.take}. */
export interface TokenBucket {
  /** Most tokens the bucket holds (and holds when new). */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  /** Tokens this call takes; a negative cost gives tokens back (never above capacity). */
  readonly cost: number;
  /** The caller's clock, in ms since the epoch (one clock for all, so tests can control time). */
  readonly nowMs: number;
}

/** Result of {@link StateStore.take}. */
export interface TakeResult {
  readonly ok: boolean;
  /** Tokens left after this call. */
  readonly remaining: number;
}

/** Options of {@link createMemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /**
   * Clock for expiry, in ms since the epoch. A clock that returns a non-finite number makes every
   * operation throw `ERR_POLICY_STATE_STORE` (callers refuse), rather than keep keys forever or never.
   * @default Date.now
   */
  readonly clock?: () => number;
}

type Entry =
  | { kind: 'counter'; value: number; expires: number }
  | { kind: 'bucket'; tokens: number; at: number; expires: number }
  | { kind: 'set'; members: Set<string>; expires: number }
  | { kind: 'flag'; expires: number };

/**
 * An in-process {@link StateStore}: the default. State is lost when the
 * process exits and is not shared between processes; use the Redis store
 * (`@agentguard/policy/redis`) for that.
 *
 * @example
 * ```ts
 * const engine = createPolicyEngine(policy, { stateStore: createMemoryStateStore() });
 * ```
 */
export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): StateStore {
  const clock = options.clock === undefined ? Date.now : options.clock;
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  const now = (): number => {
    const t = clock();
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new PolicyError('ERR_POLICY_STATE_STORE', `"clock" expected to return finite epoch ms, got ${String(t)}`);
    }
    return t;
  };
  const entries = new Map<string, Entry>();
  let operations = 0;
  const get = (key: string): Entry | undefined => {
    const t = now();
    // Sweep now and then so that expired keys do not pile up.
    if (++operations % 1024 === 0) for (const [k, e] of entries) if (e.expires <= t) entries.delete(k);
    const entry = entries.get(key);
    if (entry !== undefined && entry.expires <= t) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const ttl = (ms: number): number => {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`"ttlMs" expected a positive number, got ${ms}`);
    return now() + ms;
  };
  const checkKey = (key: string): void => {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('"key" expected a non-empty string');
  };
  return Object.freeze({
    async incrBy(key: string, n: number, ttlMs: number): Promise<number> {
      checkKey(key);
      if (!Number.isFinite(n)) throw new RangeError(`"n" expected a finite number, got ${n}`);
      const entry = get(key);
      if (entry === undefined || entry.kind !== 'counter') {
        entries.set(key, { kind: 'counter', value: n, expires: ttl(ttlMs) });
        return n;
      }
      entry.value += n;
      return entry.value;
    },
    async take(key: string, bucket: TokenBucket): Promise<TakeResult> {
      checkKey(key);
      const { capacity, refillPerSecond, cost, nowMs } = bucket;
      let entry = get(key);
      if (entry === undefined || entry.kind !== 'bucket') {
        entry = { kind: 'bucket', tokens: capacity, at: nowMs, expires: 0 };
        entries.set(key, entry);
      }
      const elapsed = Math.max(0, nowMs - entry.at);
      entry.tokens = Math.min(capacity, entry.tokens + (elapsed / 1000) * refillPerSecond);
      entry.at = Math.max(entry.at, nowMs);
      // Keep the bucket until it would be full again anyway.
      entry.expires = ttl(Math.max(1, Math.ceil(((capacity - entry.tokens + cost) / refillPerSecond) * 1000)));
      if (entry.tokens < cost) return { ok: false, remaining: entry.tokens };
      entry.tokens = Math.min(capacity, entry.tokens - cost);
      return { ok: true, remaining: entry.tokens };
    },
    async addToSet(key: string, members: readonly string[], ttlMs: number): Promise<void> {
      checkKey(key);
      const entry = get(key);
      if (entry === undefined || entry.kind !== 'set') {
        entries.set(key, { kind: 'set', members: new Set(members), expires: ttl(ttlMs) });
        return;
      }
      for (const m of members) entry.members.add(m);
      entry.expires = ttl(ttlMs);
    },
    async members(key: string): Promise<readonly string[]> {
      checkKey(key);
      const entry = get(key);
      return entry?.kind === 'set' ? [...entry.members].sort() : [];
    },
    async checkAndRemember(key: string, expiresAtMs: number, nowMs?: number): Promise<boolean> {
      checkKey(key);
      const ms = rememberFor(expiresAtMs, nowMs ?? now());
      if (get(key) !== undefined) return false;
      entries.set(key, { kind: 'flag', expires: ttl(ms) });
      return true;
    },
    async close(): Promise<void> {
      entries.clear();
    },
  });
}
