import { fromUtf8 } from './encoding.js';
import { StatementError } from './errors.js';
import { parseJson } from './json-parse.js';
import type { JsonValue } from './canonical.js';

/** DSSE `payloadType` of an in-toto Statement in JSON (in-toto attestation framework, envelope.md). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** in-toto Statement v1 `_type` (in-toto attestation framework, statement.md). */
export const STATEMENT_V1_TYPE = 'https://in-toto.io/Statement/v1';

/** One subject of a {@link Statement}: a name and its digests (algorithm → lower-case hex). */
export interface StatementSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** An in-toto Statement v1 as accepted here: exactly `_type`, `subject`, `predicateType` and `predicate`. */
export interface Statement {
  readonly _type: typeof STATEMENT_V1_TYPE;
  readonly subject: readonly StatementSubject[];
  readonly predicateType: string;
  /** Strict JSON data; objects have a null prototype. */
  readonly predicate: { readonly [key: string]: JsonValue };
}

/** Options of {@link parseStatement}. */
export interface ParseStatementOptions {
  /**
   * When set, `predicateType` must be exactly this.
   * @default any non-empty predicate type
   */
  readonly predicateType?: string;
  /**
   * Most subjects accepted, 1 to 1024.
   * @default 16
   */
  readonly maxSubjects?: number;
  /**
   * Deepest nesting accepted in the whole statement.
   * @default 32
   */
  readonly maxDepth?: number;
}

/** Digest algorithm names and the hex length of their values (in-toto digest set, ResourceDescriptor spec). */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = Object.freeze({ sha256: 64, sha384: 96, sha512: 128 });
const LOWER_HEX = /^[0-9a-f]+$/;

const invalid = (reason: string, cause?: unknown) =>
  new StatementError(
    'ERR_STATEMENT_PAYLOAD_INVALID',
    `not an in-toto Statement v1: ${reason}`,
    cause === undefined ? {} : { cause },
  );

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where} expected an object`);
  return value as Record<string, unknown>;
}

function exactly(value: Record<string, unknown>, keys: readonly string[], where: string): void {
  const own = Object.keys(value);
  for (const key of own)
    if (!keys.includes(key)) throw invalid(`${where} has an unknown field ${JSON.stringify(key.slice(0, 40))}`);
  for (const key of keys) if (!Object.hasOwn(value, key)) throw invalid(`${where} lacks "${key}"`);
}

function text(value: unknown, where: string, max = 1024): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`${where} expected a string of 1 to ${max} characters`);
  }
  return value;
}

/**
 * Parses the payload bytes of a verified envelope as an in-toto Statement v1.
 *
 * Strict: the bytes must be UTF-8 strict JSON (no duplicate names, no
 * `__proto__`, bounded depth); the statement has exactly its four fields;
 * each subject exactly `name` and `digest`; digests name sha256, sha384 or
 * sha512 with lower-case hex of the right length; the predicate is an object.
 * Fields of a subject other than name and digest (uri, annotations…) are
 * refused rather than ignored: nothing signed goes unread. The result is
 * frozen.
 *
 * @param payload - the exact payload bytes that were verified (never re-encoded).
 * @param options - see {@link ParseStatementOptions}.
 * @returns a frozen {@link Statement}.
 * @throws StatementError `ERR_STATEMENT_PAYLOAD_INVALID`; TypeError on a non-Uint8Array payload.
 * @example
 * ```ts
 * const statement = parseStatement(result.payload, { predicateType: 'https://agentguard.dev/attestation/tool-call/v1' });
 * ```
 */
export function parseStatement(payload: Uint8Array, options: ParseStatementOptions = {}): Statement {
  if (!(payload instanceof Uint8Array)) throw new TypeError('"payload" expected Uint8Array');
  const maxSubjects = options.maxSubjects ?? 16;
  if (!Number.isInteger(maxSubjects) || maxSubjects < 1 || maxSubjects > 1024) {
    throw new RangeError(`"maxSubjects" expected an integer from 1 to 1024, got ${String(maxSubjects)}`);
  }
  let value: unknown;
  try {
    value = parseJson(fromUtf8(payload), { maxDepth: options.maxDepth ?? 32, maxBytes: Math.max(1, payload.length) });
  } catch (cause) {
    throw invalid(`payload is not strict UTF-8 JSON: ${(cause as Error).message}`, cause);
  }
  const root = object(value, 'statement');
  exactly(root, ['_type', 'subject', 'predicateType', 'predicate'], 'statement');
  if (root._type !== STATEMENT_V1_TYPE) throw invalid(`_type expected ${STATEMENT_V1_TYPE}`);
  const predicateType = text(root.predicateType, 'predicateType');
  if (options.predicateType !== undefined && predicateType !== options.predicateType) {
    throw invalid(`predicateType expected ${options.predicateType}, got ${JSON.stringify(predicateType.slice(0, 80))}`);
  }
  const subjects = root.subject;
  if (!Array.isArray(subjects) || subjects.length < 1 || subjects.length > maxSubjects) {
    throw invalid(`subject expected 1 to ${maxSubjects} entries`);
  }
  const subject = subjects.map((entry: unknown, i) => {
    const s = object(entry, `subject[${i}]`);
    exactly(s, ['name', 'digest'], `subject[${i}]`);
    const digest = object(s.digest, `subject[${i}].digest`);
    const algorithms = Object.keys(digest);
    if (algorithms.length === 0) throw invalid(`subject[${i}].digest is empty`);
    const copy: Record<string, string> = {};
    for (const alg of algorithms) {
      const length = DIGEST_HEX_LENGTH[alg];
      const hex = digest[alg];
      if (length === undefined)
        throw invalid(`subject[${i}].digest names an unknown algorithm ${JSON.stringify(alg.slice(0, 20))}`);
      if (typeof hex !== 'string' || hex.length !== length || !LOWER_HEX.test(hex)) {
        throw invalid(`subject[${i}].digest.${alg} expected ${length} lower-case hex digits`);
      }
      copy[alg] = hex;
    }
    return Object.freeze({ name: text(s.name, `subject[${i}].name`), digest: Object.freeze(copy) });
  });
  const predicate = object(root.predicate, 'predicate') as { readonly [key: string]: JsonValue };
  return Object.freeze({
    _type: STATEMENT_V1_TYPE,
    subject: Object.freeze(subject),
    predicateType,
    predicate: deepFreeze(predicate),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
