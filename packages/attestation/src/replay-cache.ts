import { clockFrom, readClock } from './clock.js';
import { AttestationError } from './errors.js';

/**
 * Remembers accepted call envelopes until they expire, so that none is
 * accepted twice. The interface is small so that a shared store (Redis
 * `SET key 1 PXAT <expiresAtMs> NX`, a database row with a unique key) can back
 * several verifier processes.
 */
export interface ReplayCache {
  /**
   * Atomically: when `key` is not remembered (or its entry has expired),
   * remember it until `expiresAtMs` and return `true`; otherwise return `false`.
   * Throw (or reject) when the answer cannot be given: verifiers then refuse
   * the call with `ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE` (fail closed).
   *
   * @param key - opaque key, at most a few hundred characters.
   * @param expiresAtMs - epoch milliseconds after which the entry may be forgotten.
   * @param nowMs - the verifier's clock, epoch milliseconds; stores may use their own.
   */
  checkAndRemember(key: string, expiresAtMs: number, nowMs?: number): boolean | Promise<boolean>;
}

/** The in-memory cache of {@link createReplayCache}; it answers synchronously. */
export interface MemoryReplayCache extends ReplayCache {
  checkAndRemember(key: string, expiresAtMs: number, nowMs?: number): boolean;
  /** Entries currently held (expired ones included until swept). */
  readonly size: number;
  /** Forgets every entry. */
  clear(): void;
}

/** Options of {@link createReplayCache}. */
export interface ReplayCacheOptions {
  /**
   * Most entries held at once. When every slot holds an unexpired entry, new
   * calls are refused (`ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE`) rather than forgetting
   * one that could then be replayed. Size it as peak calls per second times
   * the longest validity window (60 s by default, plus skew).
   * @default 100_000
   */
  readonly maxEntries?: number;
  /**
   * Clock read when the verifier passes no `nowMs`, in epoch milliseconds. A clock that throws or answers
   * anything else makes `checkAndRemember` throw `ERR_ATTESTATION_CLOCK_INVALID` (verifiers refuse).
   * @default Date.now
   */
  readonly clock?: () => number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const MAX_MAX_ENTRIES = 100_000_000;
// Bounded work per insertion when sweeping expired entries from the front.
const SWEEP_STEP = 8;

/**
 * Creates an in-memory replay cache, remembering each key until its expiry.
 *
 * Entries live in a Map in insertion order; since validity windows are short
 * and similar, that is nearly expiry order, so each insertion sweeps a few
 * expired entries from the front, and a full sweep runs only when the cache
 * is full.
 *
 * @param options - see {@link ReplayCacheOptions}.
 * @returns a frozen {@link MemoryReplayCache}.
 * @throws RangeError when `maxEntries` is not a positive integer; TypeError when `clock` is not a function.
 * @example
 * ```ts
 * const replayCache = createReplayCache({ maxEntries: 10_000 });
 * await verifyCall(envelope, { trust, args, replayCache }); // ok
 * await verifyCall(envelope, { trust, args, replayCache }); // { ok: false, code: 'ERR_ATTESTATION_REPLAY' }
 * ```
 */
export function createReplayCache(options: ReplayCacheOptions = {}): MemoryReplayCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_MAX_ENTRIES) {
    throw new RangeError(`"maxEntries" expected an integer from 1 to ${MAX_MAX_ENTRIES}, got ${String(maxEntries)}`);
  }
  const clock = clockFrom(options.clock);
  const entries = new Map<string, number>();

  function sweepFront(now: number, limit: number): void {
    let n = 0;
    for (const [key, expiresAt] of entries) {
      if (n++ >= limit || expiresAt > now) return;
      entries.delete(key);
    }
  }

  function sweepAll(now: number): void {
    for (const [key, expiresAt] of entries) if (expiresAt <= now) entries.delete(key);
  }

  function checkAndRemember(key: string, expiresAtMs: number, nowMs?: number): boolean {
    if (typeof key !== 'string') throw new TypeError(`"key" expected string, got ${typeof key}`);
    if (!Number.isFinite(expiresAtMs)) throw new TypeError('"expiresAtMs" expected a finite number');
    // NaN compares false with every expiry, so it would make any key look fresh: refuse instead.
    if (nowMs !== undefined && !Number.isFinite(nowMs)) {
      throw new AttestationError(
        'ERR_ATTESTATION_CLOCK_INVALID',
        `"nowMs" is ${String(nowMs)}, not epoch milliseconds`,
      );
    }
    const now = nowMs ?? readClock(clock);
    const existing = entries.get(key);
    if (existing !== undefined && existing > now) return false;
    if (existing !== undefined) entries.delete(key);
    sweepFront(now, SWEEP_STEP);
    if (entries.size >= maxEntries) sweepAll(now);
    if (entries.size >= maxEntries) {
      throw new AttestationError(
        'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE',
        `replay cache full: ${maxEntries} unexpired entries; refusing rather than forgetting one`,
      );
    }
    entries.set(key, expiresAtMs);
    return true;
  }

  return Object.freeze({
    checkAndRemember,
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  });
}
