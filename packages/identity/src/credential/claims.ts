/**
 * The claim sets of credentials and delegations, validated strictly at the
 * boundary: exact member sets (unknown members refused, as zod `.strict()`),
 * types, lengths and ranges. Hand-written because this package's runtime
 * dependencies are the two noble libraries only.
 */
import type { ArgConstraints } from '../delegation/constraints.js';
import { rightsProblem } from '../delegation/rights.js';
import { bytesEqual, fromBase64Url } from '@agentguard/statement';
import { type DidKey, didToPublicKey } from '../key/did-key.js';
import { IdentityError } from '../errors.js';
import type { PublicJwk } from '../key/jwk.js';

/** Risk tiers of an agent; `high` requires a credential by default in `@agentguard/core`. */
export type RiskTier = 'low' | 'medium' | 'high';

/** Fields common to credential and delegation claims (JWT registered claims, RFC 7519 §4.1). */
interface GrantClaims {
  /** Format version. */
  readonly ver: 1;
  /** Issuer: the authority id (credential) or the delegator's did:key (delegation). */
  readonly iss: string;
  /** Subject: the agent's did:key. */
  readonly sub: DidKey;
  /** Proof-of-possession key, the same key as `sub` (RFC 7800 §3.2, RFC 8037 JWK). */
  readonly cnf: { readonly jwk: PublicJwk };
  /** Unique token id, for revocation. */
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly tools: readonly string[];
  readonly scopes: readonly string[];
  readonly args?: ArgConstraints;
  readonly maxCalls?: number;
}

/** Claims of an agent credential (JWT payload, `typ: agentguard-credential+jwt`). */
export interface CredentialClaims extends GrantClaims {
  readonly name: string;
  readonly owner: string;
  readonly environment: string;
  readonly riskTier: RiskTier;
}

/** Claims of a delegation link (JWT payload, `typ: agentguard-delegation+jwt`). */
export interface DelegationClaims extends GrantClaims {
  readonly iss: DidKey;
  /** Proof: base64url SHA-256 of the parent token's ASCII (the credential or the previous link). */
  readonly prf: string;
}

const GRANT_REQUIRED = ['ver', 'iss', 'sub', 'cnf', 'jti', 'iat', 'nbf', 'exp', 'tools', 'scopes'] as const;
const GRANT_OPTIONAL = ['args', 'maxCalls'] as const;
const CREDENTIAL_KEYS = new Set<string>([
  ...GRANT_REQUIRED,
  ...GRANT_OPTIONAL,
  'name',
  'owner',
  'environment',
  'riskTier',
]);
const DELEGATION_KEYS = new Set<string>([...GRANT_REQUIRED, ...GRANT_OPTIONAL, 'prf']);
// 1 to 256 characters, none of them C0 controls or DEL.
const TEXT_MAX = 256;
function isText(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > TEXT_MAX) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}
const JTI = /^[A-Za-z0-9_.:-]{8,128}$/;
// NumericDate seconds up to year 9999, so ms arithmetic stays exact.
const MAX_DATE = 253_402_300_799;

const keyMemo = new Map<string, Uint8Array>();

/**
 * `didToPublicKey` with a bounded memo: decoding and checking a point costs far more
 * than the rest of a claim check, and the same few agent keys recur on every call.
 * @internal
 */
export function didKeyBytes(did: string): Uint8Array {
  const hit = keyMemo.get(did);
  if (hit !== undefined) return hit.slice();
  const key = didToPublicKey(did);
  if (keyMemo.size >= 1024) keyMemo.delete(keyMemo.keys().next().value as string);
  keyMemo.set(did, key.slice());
  return key;
}

function bad(message: string): never {
  throw new IdentityError('ERR_IDENTITY_CLAIMS_INVALID', message);
}

function exactKeys(claims: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(claims)) if (!allowed.has(key)) bad(`claim "${key}" is not accepted`);
  for (const key of allowed) {
    if (!Object.hasOwn(claims, key) && key !== 'args' && key !== 'maxCalls') bad(`claim "${key}" is required`);
  }
}

function date(claims: Record<string, unknown>, key: string): number {
  const v = claims[key];
  if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > MAX_DATE) {
    bad(`"${key}" expected a NumericDate (integer seconds)`);
  }
  return v as number;
}

function grant(claims: Record<string, unknown>): void {
  if (claims.ver !== 1) bad(`"ver" expected 1, got ${JSON.stringify(claims.ver)}`);
  if (typeof claims.iss !== 'string' || !/^did:[a-z0-9]+:[\x21-\x7e]{1,200}$/.test(claims.iss)) {
    bad('"iss" expected a DID');
  }
  if (typeof claims.sub !== 'string') bad('"sub" expected a did:key');
  if (claims.sub.includes('#')) bad('"sub" expected a did:key without fragment');
  let publicKey: Uint8Array | undefined;
  try {
    publicKey = didKeyBytes(claims.sub);
  } catch {
    bad('"sub" expected an Ed25519 did:key');
  }
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) bad('"cnf" expected an object');
  const cnfKeys = Object.keys(cnf);
  if (cnfKeys.length !== 1 || cnfKeys[0] !== 'jwk') bad('"cnf" expected exactly { jwk }');
  const jwk = (cnf as Record<string, unknown>).jwk as Record<string, unknown>;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) bad('"cnf.jwk" expected a JWK');
  for (const key of Object.keys(jwk)) {
    if (!['kty', 'crv', 'x', 'kid'].includes(key)) bad(`"cnf.jwk" member "${key}" is not accepted (public keys only)`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') bad('"cnf.jwk" expected kty "OKP" and crv "Ed25519" (RFC 8037)');
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') bad('"cnf.jwk.kid" expected a string');
  let x: Uint8Array | undefined;
  try {
    x = fromBase64Url(jwk.x as string);
  } catch {
    bad('"cnf.jwk.x" expected canonical base64url');
  }
  // Equal bytes to the already validated `sub` key, so no second point decoding is needed.
  if (!bytesEqual(x, publicKey)) bad('"cnf.jwk" is not the key of "sub"');
  if (typeof claims.jti !== 'string' || !JTI.test(claims.jti)) bad('"jti" expected 8 to 128 of [A-Za-z0-9_.:-]');
  const iat = date(claims, 'iat');
  const nbf = date(claims, 'nbf');
  const exp = date(claims, 'exp');
  if (!(nbf < exp)) bad('"nbf" must be before "exp"');
  if (iat > exp) bad('"iat" must not be after "exp"');
  const problem = rightsProblem(claims);
  if (problem !== undefined) bad(problem);
}

/** Validates a credential payload; throws IdentityError `ERR_IDENTITY_CLAIMS_INVALID`. @internal */
export function parseCredentialClaims(payload: Record<string, unknown>): CredentialClaims {
  exactKeys(payload, CREDENTIAL_KEYS);
  grant(payload);
  for (const key of ['name', 'owner', 'environment'] as const) {
    const v = payload[key];
    if (!isText(v)) bad(`"${key}" expected 1 to 256 characters without control characters`);
  }
  if (payload.riskTier !== 'low' && payload.riskTier !== 'medium' && payload.riskTier !== 'high') {
    bad('"riskTier" expected "low", "medium" or "high"');
  }
  return payload as unknown as CredentialClaims;
}

/** Validates a delegation payload; throws IdentityError `ERR_IDENTITY_CLAIMS_INVALID`. @internal */
export function parseDelegationClaims(payload: Record<string, unknown>): DelegationClaims {
  exactKeys(payload, DELEGATION_KEYS);
  grant(payload);
  try {
    didKeyBytes(payload.iss as string);
  } catch {
    bad('"iss" of a delegation expected the delegator\'s did:key');
  }
  if (typeof payload.prf !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(payload.prf)) {
    bad('"prf" expected the base64url SHA-256 of the parent token');
  }
  return payload as unknown as DelegationClaims;
}
