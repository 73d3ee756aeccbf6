import { toBase64Url } from '@agentguard/statement';

/**
 * Call nonces: 16 bytes from the platform CSPRNG each, drawn from a pool filled 256 nonces at a time.
 * One `getRandomValues` call per nonce cost a guarded call as much as the rest of building its claims;
 * the bytes are the same CSPRNG output either way, every nonce uses its own 16 bytes exactly once, and a
 * nonce is public (it only makes each envelope unique), so nothing secret waits in the pool.
 */

const NONCE_BYTES = 16;
const POOL_NONCES = 256;

const pool = new Uint8Array(NONCE_BYTES * POOL_NONCES);
let next = pool.length;

/** @internal A fresh nonce: 16 random bytes as unpadded base64url (22 characters). */
export function freshNonce(): string {
  if (next === pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  const bytes = pool.slice(next, next + NONCE_BYTES);
  // Used once: zeroed in the pool so no later reader of the pool sees a nonce already handed out.
  pool.fill(0, next, next + NONCE_BYTES);
  next += NONCE_BYTES;
  return toBase64Url(bytes);
}
