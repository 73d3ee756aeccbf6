import type { TrustStore } from '@agentguard/attestation';
import { didToPublicKey } from '@agentguard/identity';

/**
 * A trust option (a `TrustStore`, read once with `list()`, or did:keys as text) as one frozen list of
 * Ed25519 did:keys; misuse throws TypeError.
 */
export function trustList(trust: unknown, name: string): readonly string[] {
  const store = trust as Partial<TrustStore> | null;
  const list =
    !Array.isArray(trust) && typeof store === 'object' && store !== null && typeof store.list === 'function'
      ? store.list()
      : trust;
  if (!Array.isArray(list)) throw new TypeError(`"${name}" expected a TrustStore or an array of did:key strings`);
  for (const did of list) {
    let ok = typeof did === 'string';
    if (ok) {
      try {
        didToPublicKey(did as string);
      } catch {
        ok = false;
      }
    }
    if (!ok)
      throw new TypeError(
        `"${name}" expected Ed25519 did:key strings, got ${JSON.stringify(String(did)).slice(0, 80)}`,
      );
  }
  return Object.freeze([...new Set(list as readonly string[])]);
}
