import { describe, expect, it } from 'vitest';
import { createReplayCache } from './replay-cache.js';

describe('createReplayCache', () => {
  it('accepts a key once until it expires, then again', () => {
    const cache = createReplayCache();
    expect(cache.checkAndRemember('k', 1_000, 0)).toBe(true);
    expect(cache.checkAndRemember('k', 1_000, 999)).toBe(false);
    expect(cache.checkAndRemember('k', 2_000, 1_000)).toBe(true);
    expect(cache.checkAndRemember('k', 2_000, 1_500)).toBe(false);
    expect(cache.checkAndRemember('other', 2_000, 1_500)).toBe(true);
  });

  it('uses its own clock when the verifier gives none', () => {
    let now = 0;
    const cache = createReplayCache({ clock: () => now });
    expect(cache.checkAndRemember('k', 100)).toBe(true);
    now = 99;
    expect(cache.checkAndRemember('k', 100)).toBe(false);
    now = 100;
    expect(cache.checkAndRemember('k', 200)).toBe(true);
  });

  it('sweeps expired entries so it stays bounded under steady load', () => {
    const cache = createReplayCache({ maxEntries: 100 });
    for (let t = 0; t < 10_000; t++) expect(cache.checkAndRemember(`k${t}`, t + 50, t)).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(100);
  });

  it('refuses (fails closed) when full of unexpired entries rather than forgetting one', () => {
    const cache = createReplayCache({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) cache.checkAndRemember(k, 1_000, 0);
    expect(() => cache.checkAndRemember('d', 1_000, 10)).toThrow(
      expect.objectContaining({ code: 'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE' }),
    );
    expect(cache.checkAndRemember('a', 1_000, 10)).toBe(false); // still remembered
    expect(cache.checkAndRemember('d', 2_000, 1_000)).toBe(true); // room once they expire
  });

  it('sweeps out-of-order expiries when full', () => {
    const cache = createReplayCache({ maxEntries: 2 });
    cache.checkAndRemember('long', 10_000, 0);
    cache.checkAndRemember('short', 100, 0);
    expect(cache.checkAndRemember('next', 10_000, 200)).toBe(true);
    expect(cache.checkAndRemember('long', 10_000, 200)).toBe(false);
  });

  it('clear forgets everything', () => {
    const cache = createReplayCache();
    cache.checkAndRemember('k', 1_000, 0);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.checkAndRemember('k', 1_000, 0)).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN, 1e12])('maxEntries %s is a RangeError', (maxEntries) => {
    expect(() => createReplayCache({ maxEntries })).toThrow(RangeError);
  });

  it('rejects wrong-typed keys and expiries', () => {
    const cache = createReplayCache();
    expect(() => cache.checkAndRemember(1 as never, 1)).toThrow(TypeError);
    expect(() => cache.checkAndRemember('k', Number.NaN)).toThrow(TypeError);
  });
});
