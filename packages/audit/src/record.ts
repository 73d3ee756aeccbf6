import { canonicalBytes, canonicalize, concatBytes, sha256Hex, utf8 } from '@agentguard/identity';
import { leafHash } from './merkle.js';

/**
 * Deepest nesting a record may have. Core canonicalises args at depth 64; a
 * record puts them three levels down (record, data, args).
 */
export const RECORD_MAX_DEPTH = 72;

/** Largest record line accepted when reading, in UTF-8 bytes (newline excluded). */
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

/** The record's `hash` and its RFC 9162 Merkle leaf hash, both over the canonical body bytes. */
export function digestBody(body: Readonly<Record<string, unknown>>): { hash: string; leaf: Uint8Array } {
  const bytes = canonicalBytes(body, { maxDepth: RECORD_MAX_DEPTH });
  return { hash: sha256Hex(bytes), leaf: leafHash(bytes) };
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
    const member = `${canonicalize(key)}:${canonicalize(record[key], { maxDepth: RECORD_MAX_DEPTH - 1 })}`;
    all.push(member);
    if (!UNHASHED.has(key)) body.push(member);
  }
  return { line: `{${all.join(',')}}`, body: utf8(`{${body.join(',')}}`) };
}

/** The record without `hash`, `sig` and `noteSig`: what `hash` and the Merkle leaf are computed over. */
export function bodyOf(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(record)) if (!UNHASHED.has(key)) body[key] = record[key];
  return body;
}
