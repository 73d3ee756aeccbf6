import { parseCallStatement } from '@agentguard/attestation';
import { decodeDsseBase64, parseEnvelope } from '@agentguard/statement';

/**
 * @internal The arguments digest a call envelope claims, read without verifying it (the server verifies),
 * or `undefined` when it cannot be read. Used only to tell whether an envelope the guard signed binds the
 * very arguments about to be sent; any doubt means signing anew.
 */
export function argsDigestOf(envelope: unknown): string | undefined {
  try {
    return parseCallStatement(decodeDsseBase64(parseEnvelope(envelope).payload, 'payload')).claims.argsDigest;
  } catch {
    return undefined;
  }
}
