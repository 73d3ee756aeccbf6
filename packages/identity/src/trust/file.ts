/**
 * Trust files: a small, strict JSON document naming the keys a verifier trusts
 * and what each may sign (agent records, log checkpoints, operator records, approvals), so one
 * file kept beside a deployment replaces a list of `--trust` flags. Format:
 * docs/formats/trust-file.md.
 */
import { type DidKey, didToPublicKey, publicKeyToDid } from '../key/did-key.js';
import { IdentityError } from '../errors.js';
import { parseJsonOrThrow as parseJson } from '../statement-errors.js';

/** What a trusted key may sign. */
export type TrustRole = 'agent' | 'log' | 'operator' | 'approver';

/** One trusted key. */
export interface TrustFileKey {
  /** The key's Ed25519 did:key (no fragment). */
  readonly id: DidKey;
  /**
   * `agent`: audit records of its calls; `log`: the log's own records and checkpoints; `operator`: records an
   * operator adds to the log (erasures, assessments); `approver`: approvals (never log records).
   */
  readonly role: TrustRole;
  /** Label for people. */
  readonly name?: string;
}

/** A parsed trust file (version 1). */
export interface TrustFile {
  readonly version: 1;
  readonly keys: readonly TrustFileKey[];
}

/** Largest trust file accepted, in bytes. */
export const MAX_TRUST_FILE_BYTES = 1_048_576;
const MAX_KEYS = 10_000;
const ROLES: ReadonlySet<string> = new Set(['agent', 'log', 'operator', 'approver']);

function invalid(message: string, cause?: unknown): never {
  throw new IdentityError('ERR_IDENTITY_TRUST_FILE_INVALID', message, cause === undefined ? undefined : { cause });
}

function isLabel(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) return false;
  }
  return true;
}

function parseKey(entry: unknown, i: number): TrustFileKey {
  const where = `keys[${i}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) invalid(`${where} expected an object`);
  const e = entry as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (k !== 'id' && k !== 'role' && k !== 'name') invalid(`${where} has unknown member "${k.slice(0, 40)}"`);
  }
  if (typeof e.id !== 'string' || !e.id.startsWith('did:key:') || e.id.includes('#')) {
    invalid(`${where}.id expected an Ed25519 did:key without fragment`);
  }
  let canonical: string;
  try {
    canonical = publicKeyToDid(didToPublicKey(e.id));
  } catch (cause) {
    invalid(`${where}.id is not a valid Ed25519 did:key`, cause);
  }
  // One spelling per key, so a listed id always compares equal to the signer id the verifier reports.
  if (canonical !== e.id) invalid(`${where}.id is not in canonical did:key form`);
  if (typeof e.role !== 'string' || !ROLES.has(e.role)) invalid(`${where}.role expected "agent", "log" or "approver"`);
  if (e.name !== undefined && !isLabel(e.name)) {
    invalid(`${where}.name expected 1 to 256 characters without control characters`);
  }
  const key = { id: e.id as DidKey, role: e.role as TrustRole };
  return Object.freeze(e.name === undefined ? key : { ...key, name: e.name as string });
}

/**
 * Parses a trust file: strict JSON (duplicate members and `__proto__` refused), exactly
 * `{ "version": 1, "keys": [...] }`, every key an Ed25519 did:key with a known role, closed member
 * sets (a misspelt member is an error, never ignored), no key listed twice for the same role.
 *
 * @param text - the file's content (UTF-8 decoded).
 * @returns a frozen {@link TrustFile}.
 * @throws IdentityError `ERR_IDENTITY_TRUST_FILE_INVALID` (or `ERR_IDENTITY_JSON_*` for malformed JSON).
 * @example
 * ```ts
 * const trust = parseTrustFile(await readFile('trust.json', 'utf8'));
 * const signers = trustedIds(trust, ['agent', 'log']);
 * ```
 */
export function parseTrustFile(text: string): TrustFile {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`);
  const value = parseJson(text, { maxBytes: MAX_TRUST_FILE_BYTES, maxDepth: 4 });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('trust file expected a JSON object');
  const doc = value as Record<string, unknown>;
  for (const k of Object.keys(doc)) {
    if (k !== 'version' && k !== 'keys') invalid(`trust file has unknown member "${k.slice(0, 40)}"`);
  }
  if (doc.version !== 1) invalid(`trust file "version" expected 1, got ${JSON.stringify(doc.version)?.slice(0, 40)}`);
  if (!Array.isArray(doc.keys) || doc.keys.length === 0 || doc.keys.length > MAX_KEYS) {
    invalid(`trust file "keys" expected an array of 1 to ${MAX_KEYS} keys`);
  }
  const seen = new Set<string>();
  const keys = doc.keys.map((entry, i) => {
    const key = parseKey(entry, i);
    const pair = `${key.role} ${key.id}`;
    if (seen.has(pair)) invalid(`keys[${i}] lists ${key.id} as "${key.role}" a second time`);
    seen.add(pair);
    return key;
  });
  return Object.freeze({ version: 1 as const, keys: Object.freeze(keys) });
}

/**
 * The distinct ids of a trust file's keys that have one of `roles`, in file order.
 *
 * @example
 * ```ts
 * verifyLogFile(path, { trust: trustedIds(parseTrustFile(text), ['agent', 'log']) });
 * ```
 */
export function trustedIds(file: TrustFile, roles: readonly TrustRole[]): DidKey[] {
  const wanted = new Set<string>(roles);
  return [...new Set(file.keys.filter((k) => wanted.has(k.role)).map((k) => k.id))];
}
