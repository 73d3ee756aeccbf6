/**
 * Compact JWS (RFC 7515 §7.1) with Ed25519 only, shared by credentials,
 * delegations and revocation lists. Deliberately narrow: one algorithm, a closed
 * set of header parameters, canonical base64url, strict JSON, size caps.
 */
import { fromBase64Url, fromUtf8, toBase64Url, utf8, canonicalize } from '@agentguard/statement';
import { verify } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';
import { parseJsonOrThrow as parseJson } from '../statement-errors.js';
import type { Signer } from '../key/identity.js';

/** Largest compact token accepted, in characters. @internal */
export const DEFAULT_MAX_TOKEN_LENGTH = 16_384;

/**
 * The JWS `alg` a token is issued with: `Ed25519` (RFC 9864, fully specified, the default) or
 * `EdDSA` (RFC 8037, polymorphic, for verifiers that know only that name). Both are accepted on
 * input; either way the key is an Ed25519 key and the signature strict RFC 8032.
 */
export type JwsAlgorithm = 'Ed25519' | 'EdDSA';

/** The protected header we emit and accept. */
export interface JwsHeader {
  /** `Ed25519` (RFC 9864, the default) or the older polymorphic `EdDSA` (RFC 8037), on request. */
  readonly alg: JwsAlgorithm;
  /** Explicit type (RFC 8725 §3.11) so one kind of token cannot be used as another. */
  readonly typ: string;
  /** Key id of the signing key: a did:key verification method `did:key:z…#z…`. */
  readonly kid: string;
}

/** A compact JWS split and parsed, signature not yet checked. @internal */
export interface DecodedJws {
  readonly header: JwsHeader;
  readonly payload: Record<string, unknown>;
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

const SEGMENTS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;
const HEADER_KEYS = new Set(['alg', 'typ', 'kid']);

function fail(
  code: 'ERR_IDENTITY_TOKEN_MALFORMED' | 'ERR_IDENTITY_ALG_UNSUPPORTED',
  message: string,
  cause?: unknown,
): never {
  throw new IdentityError(code, message, cause === undefined ? undefined : { cause });
}

function segmentJson(segment: string, label: string): Record<string, unknown> {
  let text: string;
  try {
    text = fromUtf8(fromBase64Url(segment));
  } catch (cause) {
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', `JWS ${label} is not canonical base64url of UTF-8`, cause);
  }
  // JSON errors keep their own codes (duplicate key, __proto__, too deep).
  const value = parseJson(text, { maxDepth: 16 });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', `JWS ${label} expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Checks an `alg` option; `undefined` is the default `Ed25519`.
 * @throws RangeError when it is neither `Ed25519` nor `EdDSA`.
 * @internal
 */
export function jwsAlgorithm(alg: unknown): JwsAlgorithm {
  if (alg === undefined) return 'Ed25519';
  if (alg === 'Ed25519' || alg === 'EdDSA') return alg;
  throw new RangeError(
    `"alg" expected "Ed25519" or "EdDSA", got ${typeof alg === 'string' ? JSON.stringify(alg) : typeof alg}`,
  );
}

/**
 * Signs `payload` as a compact JWS with `alg` (default `Ed25519`), `typ` and the signer's key id.
 * Header and payload are JCS-canonical JSON, so the same claims give the same token.
 * @internal
 */
export async function signJws(
  payload: unknown,
  signer: Signer,
  typ: string,
  alg: JwsAlgorithm = 'Ed25519',
): Promise<string> {
  const header: JwsHeader = { alg: jwsAlgorithm(alg), typ, kid: signer.keyId };
  const input = `${toBase64Url(utf8(canonicalize(header)))}.${toBase64Url(utf8(canonicalize(payload)))}`;
  const signature = await signer.sign(utf8(input));
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new IdentityError(
      'ERR_IDENTITY_SIGNATURE_INVALID',
      'signer returned something other than a 64-byte signature',
    );
  }
  return `${input}.${toBase64Url(signature)}`;
}

/**
 * Splits and parses a compact JWS without trusting it: size cap, three canonical
 * base64url segments, a header with exactly `alg`, `typ`, `kid`, `alg` Ed25519 or
 * EdDSA (never `none`, never HMAC, so no algorithm confusion), `typ` as expected,
 * a 64-byte signature.
 *
 * @throws IdentityError `ERR_IDENTITY_TOKEN_TOO_LARGE`, `ERR_IDENTITY_TOKEN_MALFORMED`, `ERR_IDENTITY_ALG_UNSUPPORTED`, `ERR_IDENTITY_JSON_*`.
 * @internal
 */
export function decodeJws(token: unknown, typ: string, maxLength = DEFAULT_MAX_TOKEN_LENGTH): DecodedJws {
  if (typeof token !== 'string')
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', `token expected string, got ${typeof token}`);
  if (token.length > maxLength) {
    throw new IdentityError('ERR_IDENTITY_TOKEN_TOO_LARGE', `token is ${token.length} characters, limit ${maxLength}`);
  }
  const m = SEGMENTS.exec(token);
  if (m === null)
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', 'expected a compact JWS: three base64url segments joined by "."');
  const [, h, p, s] = m as unknown as [string, string, string, string];
  const header = segmentJson(h, 'header');
  for (const key of Object.keys(header)) {
    if (!HEADER_KEYS.has(key))
      return fail('ERR_IDENTITY_TOKEN_MALFORMED', `JWS header parameter "${key}" is not accepted`);
  }
  if (header.alg !== 'Ed25519' && header.alg !== 'EdDSA') {
    return fail(
      'ERR_IDENTITY_ALG_UNSUPPORTED',
      `JWS alg expected "Ed25519" or "EdDSA", got ${JSON.stringify(header.alg)}`,
    );
  }
  if (header.typ !== typ) {
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', `JWS typ expected "${typ}", got ${JSON.stringify(header.typ)}`);
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 256) {
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', 'JWS kid expected a string of 1 to 256 characters');
  }
  const payload = segmentJson(p, 'payload');
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(s);
  } catch (cause) {
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', 'JWS signature is not canonical base64url', cause);
  }
  if (signature.length !== 64) {
    return fail('ERR_IDENTITY_TOKEN_MALFORMED', `JWS signature expected 64 bytes, got ${signature.length}`);
  }
  return {
    header: { alg: header.alg, typ, kid: header.kid },
    payload,
    signingInput: utf8(`${h}.${p}`),
    signature,
  };
}

/** Strict RFC 8032 verification of a decoded JWS under `publicKey`. @internal */
export function jwsSignatureValid(jws: DecodedJws, publicKey: Uint8Array): boolean {
  return verify(jws.signature, jws.signingInput, publicKey);
}
