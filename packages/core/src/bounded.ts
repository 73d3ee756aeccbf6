/**
 * @internal A map that keeps at most `max` entries, each until its expiry time, and forgets the oldest
 * first: what a guard remembers per call id (owners, runs, parked decisions, refusals, kept verdicts).
 *
 * Why not a `Map` evicted from its front (`map.delete(map.keys().next().value)`): V8 leaves a hole for
 * each deleted entry until it next rehashes the table, and every walk from the front skips them all. A
 * full map evicting once per call paid for every hole on every call: about 5 µs per call at 10,000
 * entries and 40-100 µs at 100,000, growing with traffic. Here the order lives in a ring of slots that is
 * only ever read from its head, so eviction and expiry cost O(1) amortized. A key set again moves to a new
 * slot at the back (its old slot goes stale and is skipped when reached).
 *
 * No object per entry: a slot is a place in three arrays (key, value, expiry) and the map holds only the slot's
 * number. Every call sets entries that live for minutes, so whatever an entry is made of is promoted to the
 * old generation and marked there until it goes; an entry object each was a visible share of a guarded call.
 */
export class ExpiringMap<K, V> {
  readonly #max: number;
  /** Each live key's slot. A slot is live while its key maps to it; any other slot is stale. */
  readonly #slots = new Map<K, number>();
  // The ring: slot i holds a key, its value and when it expires. Used slots run from #head, #used of them, oldest first.
  #keys: (K | undefined)[] = new Array(INITIAL_SLOTS);
  #values: (V | undefined)[] = new Array(INITIAL_SLOTS);
  #expires = new Float64Array(INITIAL_SLOTS);
  #head = 0;
  #used = 0;
  #setsSinceScan = 0;

  /** @param max - most entries kept (the oldest is forgotten first). */
  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`"max" expected a positive integer, got ${max}`);
    this.#max = max;
  }

  /** Live entries and entries that expired but were not yet swept. */
  get size(): number {
    return this.#slots.size;
  }

  /** The value of `key`, unless it is missing or expired at `now` (an expired entry is dropped). */
  get(key: K, now: number): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if ((this.#expires[slot] as number) > now) return this.#values[slot];
    this.#forget(key, slot);
    return undefined;
  }

  /** Sets `key` (as the newest entry) until `expiresAt`; expired entries at the front and any beyond `max` go. */
  set(key: K, value: V, expiresAt: number, now: number): void {
    this.sweep(now);
    const old = this.#slots.get(key);
    // The old slot goes stale (its key maps elsewhere); its value is let go now, not when the ring reaches it.
    if (old !== undefined) this.#values[old] = undefined;
    if (this.#used === this.#keys.length) this.#relayout();
    const slot = (this.#head + this.#used) % this.#keys.length;
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#expires[slot] = expiresAt;
    this.#used++;
    this.#slots.set(key, slot);
    this.#setsSinceScan++;
    // Full: expired entries behind a live one at the front (set with a longer life) are dropped before any live
    // entry is forgotten. Such a scan of every entry runs at most once per max/2 sets, so sets stay O(1) amortized.
    if (this.#slots.size > this.#max && this.#setsSinceScan * 2 >= this.#max) {
      this.#setsSinceScan = 0;
      for (const [k, s] of this.#slots) if ((this.#expires[s] as number) <= now) this.#forget(k, s);
    }
    while (this.#slots.size > this.#max) this.#dropHead();
  }

  /** Forgets `key`. */
  delete(key: K): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#forget(key, slot);
    return true;
  }

  /**
   * Drops expired entries from the front of the order. An entry set with a later expiry than one set after it
   * stays until reached (or read: `get` never returns an expired value).
   */
  sweep(now: number): void {
    while (this.#used > 0) {
      const slot = this.#head;
      const key = this.#keys[slot] as K;
      const live = this.#slots.get(key) === slot;
      if (live && (this.#expires[slot] as number) > now) return;
      if (live) this.#slots.delete(key);
      this.#release(slot);
    }
  }

  /** Every entry, live or not yet swept (oldest first is not promised). */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, slot] of this.#slots) yield [key, this.#values[slot] as V];
  }

  /** Forgets the oldest entry still held (stale slots are skipped). */
  #dropHead(): void {
    while (this.#used > 0) {
      const slot = this.#head;
      const key = this.#keys[slot] as K;
      const live = this.#slots.get(key) === slot;
      if (live) this.#slots.delete(key);
      this.#release(slot);
      if (live) return;
    }
  }

  /** Drops a live key; its slot stays in the ring, stale, until the head reaches it or the ring is laid out again. */
  #forget(key: K, slot: number): void {
    this.#slots.delete(key);
    this.#values[slot] = undefined;
  }

  /** Empties the slot at the head and moves the head past it. */
  #release(slot: number): void {
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#head = (this.#head + 1) % this.#keys.length;
    this.#used--;
  }

  /**
   * The ring is full: lays the live slots out again, oldest first, in a ring twice their number (stale slots
   * dropped). At least as many sets as there are live entries pass before the next one, so it is O(1) amortized.
   */
  #relayout(): void {
    const size = Math.max(INITIAL_SLOTS, 2 * this.#slots.size + 2);
    const keys: (K | undefined)[] = new Array(size);
    const values: (V | undefined)[] = new Array(size);
    const expires = new Float64Array(size);
    let n = 0;
    for (let i = 0; i < this.#used; i++) {
      const slot = (this.#head + i) % this.#keys.length;
      const key = this.#keys[slot] as K;
      if (this.#slots.get(key) !== slot) continue;
      keys[n] = key;
      values[n] = this.#values[slot];
      expires[n] = this.#expires[slot] as number;
      this.#slots.set(key, n);
      n++;
    }
    this.#keys = keys;
    this.#values = values;
    this.#expires = expires;
    this.#head = 0;
    this.#used = n;
  }
}

/** Slots a new map starts with (it grows as entries come). */
const INITIAL_SLOTS = 16;
