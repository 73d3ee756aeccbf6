import { canonicalBytes, canonicalize, concatBytes, sha256Hex, utf8 } from '@agentguard/statement';

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
  return concatBytes(RECORD_SIGNING_PREFIX, utf8(hash));
}

/** The record line (no newline): canonical JSON of the whole record. */
export function recordLine(record: Readonly<Record<string, unknown>>): string {
  return canonicalize(record, { maxDepth: RECORD_MAX_DEPTH });
}

/** Fields outside the hashed body: the hash itself and the signatures over it. */
const UNHASHED = new Set(['hash', 'sig', 'noteSig']);

/** A record body canonicalised member by member: its bytes, and a way to its record line without doing it again. */
export interface CanonicalBody {
  /** The canonical body as text. */
  readonly text: string;
  readonly bytes: Uint8Array;
  /**
   * The line of `record` (the body plus `hash`, `sig`, `noteSig`): members whose value is the body's own
   * (the same value) are reused, anything else is canonicalised. Equal to `recordLine(record)`.
   */
  line(record: Readonly<Record<string, unknown>>): string;
}

/** Canonicalises a record body once, for its hash and leaf now and its record line once signed. */
export function canonicalBody(body: Readonly<Record<string, unknown>>): CanonicalBody {
  const members = new Map<string, string>();
  for (const key of Object.keys(body).sort()) members.set(key, member(key, body[key]));
  const text = `{${[...members.values()].join(',')}}`;
  const bytes = utf8(text);
  return {
    text,
    bytes,
    line(record) {
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const value = record[key];
        const same = Object.hasOwn(body, key) && body[key] === value;
        parts.push(same ? (members.get(key) as string) : member(key, value));
      }
      return `{${parts.join(',')}}`;
    },
  };
}

function member(key: string, value: unknown): string {
  return `${canonicalize(key)}:${canonicalize(value, { maxDepth: RECORD_MAX_DEPTH - 1 })}`;
}

/**
 * The record line and the canonical body bytes (what `hash` and the leaf cover), from one
 * canonicalisation of each top-level member instead of one of the record and another of its body:
 * RFC 8785 sorts members by their UTF-16 code units, as `Array.prototype.sort` does, so both are
 * the same sorted members joined, with and without `hash`, `sig` and `noteSig`. Equal to
 * `recordLine(record)` and `canonicalBytes(bodyOf(record))` (a property test holds them to it).
 */
export function recordForms(record: Readonly<Record<string, unknown>>): { line: string; body: Uint8Array } {
  const all: string[] = [];
  const body: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const text = member(key, record[key]);
    all.push(text);
    if (!UNHASHED.has(key)) body.push(text);
  }
  return { line: `{${all.join(',')}}`, body: utf8(`{${body.join(',')}}`) };
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

/**
 * Whether canonical JSON text has a member named `__proto__` (which every reader's strict parser
 * refuses). Exact on canonical text: a quote inside a string is always escaped, so `{"__proto__":` or
 * `,"__proto__":` can only be a member name.
 */
export function hasProtoMember(canonicalText: string): boolean {
  return canonicalText.includes('"__proto__":') && /[{,]"__proto__":/.test(canonicalText);
}
