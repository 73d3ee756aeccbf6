import { canonicalize, digestCanonicalText, canonicalHasProtoMember, type JsonValue } from '@agentguard/statement';
import { AttestationError } from './errors.js';

/** Deeply read-only view of a value, as {@link freezeArgs} returns it. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

function canonicalText(args: unknown): string {
  try {
    return canonicalize(args);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new AttestationError('ERR_ATTESTATION_ARGS_INVALID', `args are not plain JSON data: ${detail}`, { cause });
  }
}

/**
 * The digest that binds a call envelope to its arguments:
 * `'sha256:' + hex(SHA-256(JCS(args)))` (RFC 8785 canonical JSON, FIPS 180-4).
 *
 * @param args - plain JSON data.
 * @returns e.g. `'sha256:44136fa3…'`.
 * @throws AttestationError `ERR_ATTESTATION_ARGS_INVALID` when `args` holds values JSON cannot (undefined, NaN, Map, cycles…).
 * @example
 * ```ts
 * digestArgs({ b: 1, a: 2 }) === digestArgs({ a: 2, b: 1 }); // true
 * ```
 */
export function digestArgs(args: unknown): string {
  const known = typeof args === 'object' && args !== null ? boundDigests.get(args) : undefined;
  // Otherwise the one args digest of `@agentguard/statement`, with its error given this package's code.
  return known ?? digestCanonicalText(canonicalText(args));
}

/**
 * Digests of the deep-frozen copies {@link bindArgs} made, keyed by the copy. Such a copy cannot change
 * (every object and array in it is frozen, and it holds nothing else), so its digest stays the digest of
 * the text it was parsed from: binding or digesting it again needs no second canonicalisation.
 */
const boundDigests = new WeakMap<object, string>();

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}

/**
 * A deep copy of `args`, deep-frozen, made by a canonical round trip (JCS text,
 * then `JSON.parse`): what is decided on is exactly what the tool runs with
 * (time of check = time of use). The caller's object is never touched, and no
 * getter, prototype or class instance survives the copy.
 *
 * @param args - plain JSON data.
 * @returns a frozen copy whose every nested object and array is frozen.
 * @throws AttestationError `ERR_ATTESTATION_ARGS_INVALID` when `args` is not plain JSON data or has a `__proto__` member.
 * @example
 * ```ts
 * const frozen = freezeArgs({ path: '/tmp/a' });
 * frozen.path = '/etc/passwd'; // TypeError in strict mode; never changes the value
 * ```
 */
export function freezeArgs<T>(args: T): DeepReadonly<T> {
  return bindArgs(args).args;
}

/** The result of {@link bindArgs}. */
export interface BoundArgs<T> {
  /** The frozen copy of the args (see {@link freezeArgs}). */
  readonly args: DeepReadonly<T>;
  /** {@link digestArgs} of those args, computed from the same canonical text. */
  readonly digest: string;
}

/**
 * {@link freezeArgs} and {@link digestArgs} in one canonicalisation: the digest
 * is of the very text the frozen copy was parsed from.
 *
 * @throws AttestationError `ERR_ATTESTATION_ARGS_INVALID` when `args` is not plain JSON data.
 */
export function bindArgs<T>(args: T): BoundArgs<T> {
  if (typeof args === 'object' && args !== null) {
    const known = boundDigests.get(args);
    if (known !== undefined) return Object.freeze({ args: args as DeepReadonly<T>, digest: known });
  }
  const text = canonicalText(args);
  // JSON.parse of our own canonical text (so plain objects, friendly to tools); the only surprise it could hold
  // is an own "__proto__" member, refused because tools that merge args into other objects would be poisoned by
  // it. Found in the text (exact on canonical text), not by a reviver, which costs JSON.parse its fast path.
  if (canonicalHasProtoMember(text)) {
    throw new AttestationError('ERR_ATTESTATION_ARGS_INVALID', 'args hold a member named "__proto__"');
  }
  const copy = JSON.parse(text) as JsonValue;
  deepFreeze(copy);
  const digest = digestCanonicalText(text);
  if (typeof copy === 'object' && copy !== null) boundDigests.set(copy, digest);
  return Object.freeze({ args: copy as DeepReadonly<T>, digest });
}
