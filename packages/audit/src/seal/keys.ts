import { randomBytes, toHex, utf8 } from '@agentguard/statement';
import { AuditError } from '../errors.js';
import { hmacSha256 } from '../redact/hmac.js';
import { KEY_ID, SUBJECT_REF } from './sealed.js';

/** A subject's key: its id and 32 bytes of AES-256 key. */
export interface SubjectKey {
  readonly kid: string;
  readonly key: Uint8Array;
}

/**
 * Where the keys of data subjects live, apart from the log: one AES-256 key per subject, named by the
 * subject's pseudonymous reference. Keys never enter a record; destroying a subject's keys erases every value
 * sealed for it. Implementations: {@link createMemoryKeyStore}, and `createFileKeyStore` from
 * `@agentguard/audit/node`.
 */
export interface SubjectKeyStore {
  /** The pseudonymous reference of a subject id (64 hex, a keyed HMAC): what records and key names hold. */
  reference(subject: string): Promise<string>;
  /** The subject's current key, created when it has none (again after an erasure: a new id). */
  keyFor(reference: string): Promise<SubjectKey>;
  /** The key of that id, or undefined when it was destroyed or never existed. */
  get(reference: string, kid: string): Promise<Uint8Array | undefined>;
  /** Destroys every key of the subject; answers the ids destroyed (none when it had no key). */
  destroy(reference: string): Promise<readonly string[]>;
}

/** Options of {@link createMemoryKeyStore}. */
export interface MemoryKeyStoreOptions {
  /**
   * Secret of the subject pseudonyms, at least 16 bytes; keep it as secret as the keys (with it, anyone can
   * test a guessed subject id against a reference).
   * @default 32 random bytes
   */
  readonly secret?: Uint8Array;
}

/** Domain separation of the pseudonym from every other HMAC under the same secret. */
const REFERENCE_LABEL = 'agentguard/subject/v1\u0000';

/**
 * The keyed pseudonym of a subject id. @internal
 * @throws TypeError or RangeError on a bad subject id.
 */
export function subjectReference(secret: Uint8Array): (subject: string) => string {
  const tag = hmacSha256(secret.slice());
  return (subject) => toHex(tag(utf8(REFERENCE_LABEL + checkSubject(subject))));
}

/** A subject id: a non-empty string of at most 1024 characters. @internal */
export function checkSubject(subject: unknown): string {
  if (typeof subject !== 'string') throw new TypeError(`"subject" expected a string, got ${typeof subject}`);
  if (subject.length === 0 || subject.length > 1024) {
    throw new RangeError(`"subject" expected 1 to 1024 characters, got ${subject.length}`);
  }
  return subject;
}

/** Checks a reference (and a key id) before it names anything in a store. @internal */
export function checkReference(reference: unknown, kid?: unknown): string {
  if (typeof reference !== 'string' || !SUBJECT_REF.test(reference)) {
    throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'a subject reference must be 64 lower-case hex digits');
  }
  if (kid !== undefined && (typeof kid !== 'string' || !KEY_ID.test(kid))) {
    throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'a key id must be 16 lower-case hex digits');
  }
  return reference;
}

/** Checks a secret option. @internal */
export function checkSecret(secret: unknown): Uint8Array {
  if (!(secret instanceof Uint8Array)) throw new TypeError('"secret" expected a Uint8Array');
  if (secret.length < 16) throw new RangeError(`"secret" expected at least 16 bytes, got ${secret.length}`);
  return secret.slice();
}

/**
 * Creates a key store in memory: for tests and short-lived processes (keys go when the process goes, which
 * erases everything sealed with them).
 *
 * @param options - see {@link MemoryKeyStoreOptions}.
 * @returns a {@link SubjectKeyStore}.
 * @example
 * ```ts
 * const keys = createMemoryKeyStore();
 * const ref = await keys.reference('customer-42');
 * const { kid } = await keys.keyFor(ref);
 * await keys.destroy(ref); // [kid]
 * ```
 */
export function createMemoryKeyStore(options: MemoryKeyStoreOptions = {}): SubjectKeyStore {
  const reference = subjectReference(checkSecret(options.secret ?? randomBytes(32)));
  const keys = new Map<string, SubjectKey>();
  return Object.freeze({
    reference: async (subject: string) => reference(subject),
    async keyFor(ref: string): Promise<SubjectKey> {
      checkReference(ref);
      let entry = keys.get(ref);
      if (entry === undefined) {
        entry = Object.freeze({ kid: toHex(randomBytes(8)), key: randomBytes(32) });
        keys.set(ref, entry);
      }
      return { kid: entry.kid, key: entry.key.slice() };
    },
    async get(ref: string, kid: string): Promise<Uint8Array | undefined> {
      checkReference(ref, kid);
      const entry = keys.get(ref);
      return entry?.kid === kid ? entry.key.slice() : undefined;
    },
    async destroy(ref: string): Promise<readonly string[]> {
      checkReference(ref);
      const entry = keys.get(ref);
      if (entry === undefined) return [];
      entry.key.fill(0);
      keys.delete(ref);
      return [entry.kid];
    },
  });
}
