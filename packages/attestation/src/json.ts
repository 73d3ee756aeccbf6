import { parseJson } from '@agentguard/identity';

/** Deepest nesting of arrays and objects accepted in an envelope or payload (ours have depth 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * Parses untrusted envelope or payload text with identity's strict RFC 8259
 * parser: duplicate member names, `__proto__`, lone surrogates and deep nesting
 * are refused, so a signed text has exactly one reading (RFC 8259 §4: with
 * duplicate names "the behavior of software that receives such an object is
 * unpredictable"). Objects come back with a null prototype.
 *
 * @throws IdentityError `ERR_IDENTITY_JSON_*` for anything that is not strict JSON.
 */
export function parseStrictJson(text: string): unknown {
  return parseJson(text, { maxDepth: MAX_JSON_DEPTH });
}
