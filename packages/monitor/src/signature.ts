import { didToPublicKey, type Signer, verify } from '@agentguard/identity';
import { canonicalBytes, concatBytes, fromBase64, sha256Hex, toBase64, utf8 } from '@agentguard/statement';

/**
 * The one place this package signs and verifies: Ed25519 over a domain-separated canonical body,
 * `<domain>\n` || RFC 8785 canonical JSON. The domain keeps a profile signature from ever being
 * accepted as an attestation signature, and the other way round.
 */
export function signingBytes(domain: string, body: unknown): Uint8Array {
  return concatBytes(utf8(`${domain}\n`), canonicalBytes(body));
}

/** `sha256:` and the hex SHA-256 of a value's canonical JSON. */
export function contentHash(value: unknown): string {
  return `sha256:${sha256Hex(canonicalBytes(value))}`;
}

/** Signs `body` under `domain`; resolves to base64 of the 64-byte signature. */
export async function signBody(domain: string, body: unknown, signer: Signer): Promise<string> {
  return toBase64(await signer.sign(signingBytes(domain, body)));
}

/**
 * Verifies a base64 signature by `did` over `body` under `domain`; false on any malformed input
 * (fail closed: a signature that cannot be checked is not valid).
 */
export function verifyBody(domain: string, body: unknown, did: string, sig: string): boolean {
  try {
    return verify(fromBase64(sig), signingBytes(domain, body), didToPublicKey(did));
  } catch {
    return false;
  }
}
