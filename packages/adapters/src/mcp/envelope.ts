import { CallStatementSchema } from '@agentguard/attestation';
import { decodeDsseBase64, parseEnvelope, fromUtf8, parseJson } from '@agentguard/statement';

/**
 * @internal The arguments digest a call envelope claims, read without verifying it (the server verifies),
 * or `undefined` when it cannot be read. Used only to tell whether an envelope the guard signed binds the
 * very arguments about to be sent; any doubt means signing anew.
 */
export function argsDigestOf(envelope: unknown): string | undefined {
  try {
    const payload = fromUtf8(decodeDsseBase64(parseEnvelope(envelope).payload, 'payload'));
    const statement = CallStatementSchema.safeParse(parseJson(payload));
    return statement.success ? statement.data.predicate.argsDigest : undefined;
  } catch {
    return undefined;
  }
}
