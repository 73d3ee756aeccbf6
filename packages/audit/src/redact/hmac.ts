import { sha256 } from '@agentguard/statement';

/** SHA-256 block size in bytes (FIPS 180-4 §5.1.1). */
const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) over the one SHA-256 this project uses.
 *
 * Written here in a few lines, rather than importing `@noble/hashes/hmac.js`,
 * because the audit package's only runtime dependencies are `@agentguard/identity`
 * and zod; it is checked against the RFC 4231 test cases. Internal.
 *
 * @param key - any length; keys longer than the block are hashed first (RFC 2104 §2).
 * @returns `(message) => tag`, 32 bytes, with the padded keys computed once.
 */
export function hmacSha256(key: Uint8Array): (message: Uint8Array) => Uint8Array {
  const k = key.length > BLOCK ? sha256(key) : key;
  const inner = new Uint8Array(BLOCK).fill(0x36);
  const outer = new Uint8Array(BLOCK).fill(0x5c);
  for (let i = 0; i < k.length; i++) {
    inner[i] = (inner[i] as number) ^ (k[i] as number);
    outer[i] = (outer[i] as number) ^ (k[i] as number);
  }
  const outerMessage = new Uint8Array(BLOCK + 32);
  outerMessage.set(outer, 0);
  return (message: Uint8Array) => {
    const innerMessage = new Uint8Array(BLOCK + message.length);
    innerMessage.set(inner, 0);
    innerMessage.set(message, BLOCK);
    // H(K ^ opad || H(K ^ ipad || m)); a fresh buffer each call so no caller sees another's bytes.
    const out = outerMessage.slice();
    out.set(sha256(innerMessage), BLOCK);
    return sha256(out);
  };
}
