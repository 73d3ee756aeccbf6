/**
 * @internal A map that keeps at most `max` entries, each until its expiry time, and forgets the oldest
 * first: what a guard remembers per call id (owners, runs, parked decisions, refusals, kept verdicts).
 *
 * Why not a `Map` evicted from its front (`map.delete(map.keys().next().value)`): V8 leaves a hole for
 * each deleted entry until it next rehashes the table, and every walk from the front skips them all. A
 * full map evicting once per call paid for every hole on every call: about 5 µs per call at 10,000
 * entries and 40-100 µs at 100,000, growing with traffic. Here the order lives in a queue of
 * (key, stamp) pairs that is only ever read from its head, so eviction and expiry cost O(1) amortized.
 * A key set again moves to the back (its old queue pair goes stale and is skipped when reached).
 */
export class ExpiringMap<K, V> {
  readonly #max: number;
  readonly #entries = new Map<K, { value: V; expiresAt: number; stamp: number }>();
  // The order: keys and their stamps side by side (no object per set), read only from `#head`.
  #keys: K[] = [];
  #stamps: number[] = [];
  #head = 0;
  #stamp = 0;
  #setsSinceScan = 0;

  /** @param max - most entries kept (the oldest is forgotten first). */
  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`"max" expected a positive integer, got ${max}`);
    this.#max = max;
  }

  /** Live entries and entries that expired but were not yet swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, unless it is missing or expired at `now` (an expired entry is dropped). */
  get(key: K, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Sets `key` (as the newest entry) until `expiresAt`; expired entries at the front and any beyond `max` go. */
  set(key: K, value: V, expiresAt: number, now: number): void {
    this.sweep(now);
    const stamp = ++this.#stamp;
    this.#entries.set(key, { value, expiresAt, stamp });
    this.#keys.push(key);
    this.#stamps.push(stamp);
    this.#setsSinceScan++;
    // Full: expired entries behind a live one at the front (set with a longer life) are dropped before any live
    // entry is forgotten. Such a scan of every entry runs at most once per max/2 sets, so sets stay O(1) amortized.
    if (this.#entries.size > this.#max && this.#setsSinceScan * 2 >= this.#max) {
      this.#setsSinceScan = 0;
      for (const [k, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(k);
    }
    while (this.#entries.size > this.#max) this.#dropHead();
    this.#compact();
  }

  /** Forgets `key`. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /**
   * Drops expired entries from the front of the order. An entry set with a later expiry than one set after it
   * stays until reached (or read: `get` never returns an expired value).
   */
  sweep(now: number): void {
    while (this.#head < this.#keys.length) {
      const key = this.#keys[this.#head] as K;
      const stamp = this.#stamps[this.#head] as number;
      const entry = this.#entries.get(key);
      if (entry !== undefined && entry.stamp === stamp && entry.expiresAt > now) return;
      if (entry !== undefined && entry.stamp === stamp) this.#entries.delete(key);
      this.#head++;
    }
  }

  /** Every entry, live or not yet swept (oldest first is not promised). */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, entry] of this.#entries) yield [key, entry.value];
  }

  /** Forgets the oldest entry still held (stale queue pairs are skipped). */
  #dropHead(): void {
    while (this.#head < this.#keys.length) {
      const key = this.#keys[this.#head] as K;
      const stamp = this.#stamps[this.#head++] as number;
      if (this.#entries.get(key)?.stamp === stamp) {
        this.#entries.delete(key);
        return;
      }
    }
  }

  /** Keeps the queue within a constant factor of the entries: read pairs cut off, and rebuilt from the live pairs when it doubles. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#stamps = this.#stamps.slice(this.#head);
      this.#head = 0;
    }
    const held = this.#keys.length - this.#head;
    if (held <= 2 * this.#entries.size + 64) return;
    const keys: K[] = [];
    const stamps: number[] = [];
    for (let i = this.#head; i < this.#keys.length; i++) {
      const key = this.#keys[i] as K;
      const stamp = this.#stamps[i] as number;
      if (this.#entries.get(key)?.stamp === stamp) {
        keys.push(key);
        stamps.push(stamp);
      }
    }
    this.#keys = keys;
    this.#stamps = stamps;
    this.#head = 0;
  }
}
