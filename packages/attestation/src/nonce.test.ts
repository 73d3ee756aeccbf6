import { describe, expect, it } from 'vitest';
import { freshNonce } from './nonce.js';

describe('freshNonce', () => {
  it('gives canonical 16-byte base64url nonces, all distinct, across refills of the pool', () => {
    const seen = new Set<string>();
    // 1,000 nonces: the pool of 256 is refilled several times.
    for (let i = 0; i < 1000; i++) {
      const nonce = freshNonce();
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{21}[AQgw]$/);
      seen.add(nonce);
    }
    expect(seen.size).toBe(1000);
  });

  it('never hands out the zeroed bytes a used slot leaves behind', () => {
    for (let i = 0; i < 600; i++) expect(freshNonce()).not.toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });
});
