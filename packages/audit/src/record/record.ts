import { canonicalBytes, canonicalize, canonicalOrder, concatBytes, sha256Hex, utf8 } from '@agentguard/statement';

/**
 * Deepest nesting a record may have. Core canonicalises args at depth 64; a
 * record puts them three levels down (record, data, args).
 */
export const RECORD_MAX_DEPTH = 72;

/**
 * Largest record line, in UTF-8 bytes (newline excluded). Writer and readers share this one bound: the
 * writer refuses a larger record, so every log it writes can be read back, verified and reopened.
 */
export const RECORD_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Domain separation of record signatures: a record signature can never be
 * replayed as a signature of a DSSE envelope, a checkpoint note or anything
 * else the same key signs, because none of those starts with these bytes.
 */
const RECORD_SIGNING_PREFIX = utf8('agentguard-audit-record-v1\n');

/** The record's `hash`: lower-case hex SHA-256 of the canonical (RFC 8785) record without `hash` and `sig`. */
export function hashBody(body: Readonly<Record<string, unknown>>): string {
  return sha256Hex(canonicalBytes(body, { maxDepth: RECORD_MAX_DEPTH }));
}

/** The exact bytes a record's `sig` covers: `"agentguard-audit-record-v1\n"` followed by the ASCII hex `hash`. */
export function recordSigningBytes(hash: string): Uint8Array {
  // A record's hash is 64 ASCII hex digits: copied in directly (no encoder, no concatenation) on this
  // path taken once per record written and read; anything else is encoded as UTF-8.
  if (hash.length !== 64 || !HEX64.test(hash)) return concatBytes(RECORD_SIGNING_PREFIX, utf8(hash));
  return writeSigningBytes(hash, new Uint8Array(RECORD_SIGNING_BYTES));
}

/** Length of what a record's `sig` covers when its hash is 64 hex digits (every valid record). */
const RECORD_SIGNING_BYTES = RECORD_SIGNING_PREFIX.length + 64;

/**
 * A reusable buffer for {@link recordSigningBytes}, for a caller that checks each signature at once and keeps
 * nothing: a new array of this size is made outside V8's heap, which costs more than filling one.
 */
export class SigningBytes {
  private readonly out = new Uint8Array(RECORD_SIGNING_BYTES);

  /**
   * The bytes `sig` covers, in this object's one buffer: valid until the next call, so only for a use that ends
   * before it (a synchronous check).
   */
  of(hash: string): Uint8Array {
    if (hash.length !== 64 || !HEX64.test(hash)) return recordSigningBytes(hash);
    return writeSigningBytes(hash, this.out);
  }
}

function writeSigningBytes(hash: string, out: Uint8Array): Uint8Array {
  out.set(RECORD_SIGNING_PREFIX);
  for (let i = 0; i < 64; i++) out[RECORD_SIGNING_PREFIX.length + i] = hash.charCodeAt(i);
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The record line (no newline): canonical JSON of the whole record. */
export function recordLine(record: Readonly<Record<string, unknown>>): string {
  return canonicalize(record, { maxDepth: RECORD_MAX_DEPTH });
}

/** Fields outside the hashed body: the hash itself and the signatures over it. */
export const UNHASHED_FIELDS = ['hash', 'sig', 'noteSig'] as const;
const UNHASHED: ReadonlySet<string> = new Set(UNHASHED_FIELDS);

/** A record body canonicalised member by member: its bytes, and a way to its record line without doing it again. */
export interface CanonicalBody {
  /** The canonical body as text (its UTF-8 bytes are what `hash` and the leaf cover). */
  readonly text: string;
  /**
   * The line of the body plus `added` (string members the body does not have: `hash`, `sig`, `noteSig`), without
   * comparing the body's members again. Equal to `recordLine({ ...body, ...added })`.
   */
  lineWith(added: Readonly<Record<string, string>>): string;
}

/** Canonicalises a record body once, for its hash and leaf now and its record line once signed. */
export function canonicalBody(body: Readonly<Record<string, unknown>>): CanonicalBody {
  const keys = canonicalOrder(Object.keys(body));
  const texts = keys.map((key) => member(key, body[key]));
  const text = `{${texts.join(',')}}`;
  return {
    text,
    lineWith(added) {
      const names = Object.keys(added);
      if (names.some((name) => Object.hasOwn(body, name))) return recordLine({ ...body, ...added });
      canonicalOrder(names);
      const parts: string[] = [];
      let i = 0;
      for (const name of names) {
        while (i < keys.length && (keys[i] as string) < name) parts.push(texts[i++] as string);
        parts.push(member(name, added[name]));
      }
      while (i < keys.length) parts.push(texts[i++] as string);
      return `{${parts.join(',')}}`;
    },
  };
}

const MEMBER_DEPTH = Object.freeze({ maxDepth: RECORD_MAX_DEPTH - 1 });
const SURROGATE = /[\uD800-\uDFFF]/;
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * One member of a canonical object: `"key":value`. Strings without surrogates and finite numbers (every
 * top-level field of a record but `data`) are written directly, exactly as RFC 8785 §3.2.2 and
 * `canonicalize` write them; anything else (objects, and whatever `canonicalize` must check or refuse)
 * goes through `canonicalize`.
 */
function member(key: string, value: unknown): string {
  return `${scalar(key) ?? canonicalize(key)}:${scalar(value) ?? canonicalize(value, MEMBER_DEPTH)}`;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') {
    // Printable ASCII without a quote or backslash (every id, hash, time and type a record holds): nothing to
    // escape, so quoted as it is (half the time of JSON.stringify, which gives the same text).
    if (PLAIN.test(value)) return `"${value}"`;
    return SURROGATE.test(value) ? undefined : JSON.stringify(value);
  }
  // RFC 8785 §3.2.2.3: ECMAScript number serialisation, -0 as 0.
  if (typeof value === 'number' && Number.isFinite(value)) return Object.is(value, -0) ? '0' : String(value);
  return undefined;
}

/**
 * The record line and the canonical body text (whose UTF-8 `hash` and the leaf cover), from one
 * canonicalisation of each top-level member instead of one of the record and another of its body:
 * RFC 8785 sorts members by their UTF-16 code units, as `Array.prototype.sort` does, so both are
 * the same sorted members joined, with and without `hash`, `sig` and `noteSig`. Equal to
 * `recordLine(record)` and `canonicalize(bodyOf(record))` (a property test holds them to it).
 */
export function recordForms(record: Readonly<Record<string, unknown>>): { line: string; body: string } {
  const all: string[] = [];
  const body: string[] = [];
  for (const key of canonicalOrder(Object.keys(record))) {
    const text = member(key, record[key]);
    all.push(text);
    if (!UNHASHED.has(key)) body.push(text);
  }
  return { line: `{${all.join(',')}}`, body: `{${body.join(',')}}` };
}

/** The record without `hash`, `sig` and `noteSig`: what `hash` and the Merkle leaf are computed over. */
export function bodyOf(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(record)) if (!UNHASHED.has(key)) body[key] = record[key];
  return body;
}

/** Characters a member adds to a line: the comma, the quoted name, the colon and the quoted value. */
const memberChars = (name: string, valueChars: number) => 1 + name.length + 2 + 1 + valueChars + 2;

/**
 * The exact UTF-8 byte length of the line of a record whose canonical body is `bodyBytes` long, once
 * `hash` (64 hex), `sig` (base64 of 64 bytes) and, for a checkpoint, `noteSig` (base64 of 68 bytes) are
 * added: all ASCII of fixed length, so the writer knows the line's size before it signs or places it.
 */
export function lineBytes(bodyBytes: number, fields: { readonly sig: boolean; readonly noteSig: boolean }): number {
  return (
    bodyBytes +
    memberChars('hash', 64) +
    (fields.sig ? memberChars('sig', 88) : 0) +
    (fields.noteSig ? memberChars('noteSig', 92) : 0)
  );
}
