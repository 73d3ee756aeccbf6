import type { JsonValue } from '@agentguard/statement';
import { AuditError } from '../errors.js';
import type { Redaction } from '../redact/redact.js';
import { checkSubject, type SubjectKeyStore } from './keys.js';
import { isSealedValue, openSealed, type SealContext, type SealedValue, sealKey, sealText } from './sealed.js';

/** Options of {@link createSealer}. */
export interface SealerOptions {
  /** Where the subjects' keys are. */
  readonly keys: SubjectKeyStore;
}

/** Where one redacted value will be written: the record's type and call id, and the field of `data` it fills. */
export interface SealTarget {
  /** The data subject the personal data belongs to (an id the operator knows them by; never written). */
  readonly subject: string;
  readonly callId: string;
  /** @default 'call.requested' */
  readonly type?: string;
  /** The field of the record's `data` that holds the value, as an RFC 6901 pointer. @default '/args' */
  readonly field?: string;
}

/** Seals what a redaction lists (see {@link createSealer}). */
export interface Sealer {
  /**
   * The redacted value with each listed value sealed in place of its marker.
   * @throws AuditError `ERR_AUDIT_SEAL_FAILED` or `ERR_AUDIT_KEY_STORE_FAILED`: write nothing then.
   */
  seal(redaction: Redaction, target: SealTarget): Promise<{ value: JsonValue; sealed: number }>;
}

/**
 * Creates a sealer: the personal data a redaction found (`redact(value, { seal: {} })`) is encrypted with the
 * subject's key (AES-256-GCM) and replaces the value's one-way marker, so that an authorised reader can read it
 * ({@link unsealRecord}) until the subject is erased (`eraseSubject`).
 *
 * @param options - see {@link SealerOptions}.
 * @returns a frozen {@link Sealer}.
 * @throws TypeError when `keys` is not a key store.
 * @example
 * ```ts
 * const sealer = createSealer({ keys: createMemoryKeyStore() });
 * const redaction = createRedactor().redact({ to: 'ada@example.com' }, { seal: {} });
 * const { value } = await sealer.seal(redaction, { subject: 'customer-42', callId: 'c1' });
 * ```
 */
export function createSealer(options: SealerOptions): Sealer {
  const keys = checkStore(options?.keys);
  async function seal(redaction: Redaction, target: SealTarget): Promise<{ value: JsonValue; sealed: number }> {
    const requests = redaction.toSeal ?? [];
    // Args shaped like a sealed value were not sealed here: a reader must not take them for the subject's data.
    const forged = findSealed(redaction.value).length > 0;
    if (requests.length === 0 && !forged) return { value: redaction.value, sealed: 0 };
    const subject = checkSubject(target?.subject);
    const type = target.type ?? 'call.requested';
    const field = target.field ?? '/args';
    let ref: string;
    let key: { kid: string; key: Uint8Array };
    try {
      ref = await keys.reference(subject);
      const given = await keys.keyFor(ref);
      // A copy: the store's own buffer (a store may cache it) is never touched; only the copy is zeroed below.
      key = { kid: given.kid, key: usableKey(given.key) };
    } catch (cause) {
      if (cause instanceof AuditError) throw cause;
      throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'the subject key store failed', { cause });
    }
    // The redaction's value is a fresh tree; a copy keeps its markers for the caller all the same.
    let value = structuredClone(redaction.value) as JsonValue;
    if (forged) value = defuse(value, 0);
    let sealed = 0;
    const imported = requests.length === 0 ? undefined : await sealKey(key.key);
    for (const request of requests) {
      if (imported === undefined) break;
      const at: SealContext = { type, callId: target.callId, path: `${field}${request.path}` };
      const box = await sealText(request.text, { kind: request.kind, subject: ref, kid: key.kid, key: imported }, at);
      const replaced = replaceAt(value, request.path, box);
      if (replaced === undefined) continue; // nothing where it was: its marker stays (one way, the safe side)
      value = replaced;
      sealed++;
    }
    key.key.fill(0);
    return { value, sealed };
  }
  return Object.freeze({ seal });
}

/**
 * A copy of a key from the store, checked: 32 bytes, not all zero (a zeroed buffer, or a shredded key file read
 * back, is no key: sealing with it would let anyone open the value).
 */
function usableKey(key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'the subject key store gave a key that is not 32 bytes');
  }
  if (key.every((b) => b === 0)) {
    throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'the subject key store gave an all-zero key');
  }
  return key.slice();
}

/** `node` with every object shaped like a sealed value replaced by a structural marker. */
function defuse(node: JsonValue, depth: number): JsonValue {
  if (typeof node !== 'object' || node === null || depth > MAX_DEPTH) return node;
  if (isSealedValue(node)) return FORGED;
  if (Array.isArray(node)) return node.map((v) => defuse(v, depth + 1));
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(node)) {
    Object.defineProperty(out, k, {
      value: defuse(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** `root` with the node at `pointer` replaced by `box`, or undefined when no string sits there. */
function replaceAt(root: JsonValue, pointer: string, box: SealedValue): JsonValue | undefined {
  if (pointer === '') return typeof root === 'string' ? (box as unknown as JsonValue) : undefined;
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  let node: unknown = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = Object.hasOwn(node, tokens[i] as string)
      ? (node as Record<string, unknown>)[tokens[i] as string]
      : undefined;
  }
  const last = tokens[tokens.length - 1] as string;
  if (typeof node !== 'object' || node === null || !Object.hasOwn(node, last)) return undefined;
  if (typeof (node as Record<string, unknown>)[last] !== 'string') return undefined;
  Object.defineProperty(node, last, { value: box, enumerable: true, writable: true, configurable: true });
  return root;
}

/** Options of {@link unsealRecord}. */
export interface UnsealOptions {
  /** The key store the values were sealed with. */
  readonly keys: SubjectKeyStore;
}

/** A record's `data` with its sealed values opened, and how many there were. */
export interface Unsealed {
  readonly data: JsonValue;
  readonly opened: number;
}

/** Deepest nesting walked in a record's data (records are at most 64 deep). */
const MAX_DEPTH = 64;
/** What a forged sealed value in args becomes. */
const FORGED = '[REDACTED:unsupported]';

/**
 * Opens the sealed values of one record, for an authorised reader: each sealed value of `data` becomes the value
 * it sealed. The record's hash and signature are not checked here: verify the log first (`verifyLogFile`).
 *
 * @param record - an event record (its `type`, `callId` and `data`).
 * @param options - see {@link UnsealOptions}.
 * @returns a copy of `data` with every sealed value opened.
 * @throws AuditError `ERR_AUDIT_SUBJECT_ERASED` when a value's key is gone (its subject was erased),
 * `ERR_AUDIT_SEAL_INVALID` when a value was changed or moved, `ERR_AUDIT_KEY_STORE_FAILED` when the store fails.
 * @example
 * ```ts
 * const { data } = await unsealRecord(record, { keys });
 * ```
 */
export async function unsealRecord(
  record: { readonly type: string; readonly callId: string; readonly data?: unknown },
  options: UnsealOptions,
): Promise<Unsealed> {
  const keys = checkStore(options?.keys);
  let opened = 0;
  async function walk(node: unknown, path: string, depth: number): Promise<JsonValue> {
    if (depth > MAX_DEPTH) throw new AuditError('ERR_AUDIT_SEAL_INVALID', `record data deeper than ${MAX_DEPTH}`);
    if (typeof node !== 'object' || node === null) return node as JsonValue;
    if (Array.isArray(node)) {
      const out: JsonValue[] = [];
      for (let i = 0; i < node.length; i++) out.push(await walk(node[i], `${path}/${i}`, depth + 1));
      return out;
    }
    if (isSealedValue(node)) {
      const at: SealContext = { type: record.type, callId: record.callId, path };
      let key: Uint8Array | undefined;
      try {
        const given = await keys.get(node.subject, node.kid);
        key = given === undefined ? undefined : usableKey(given);
      } catch (cause) {
        if (cause instanceof AuditError) throw cause;
        throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'the subject key store failed', { cause });
      }
      if (key === undefined) {
        throw new AuditError('ERR_AUDIT_SUBJECT_ERASED', `no key ${node.kid} for the subject of ${path}: erased`);
      }
      const text = await openSealed(node, key, at);
      key.fill(0);
      opened++;
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        return text; // a field's JSON cut by a secret's marker: the text as sealed
      }
    }
    const out: Record<string, JsonValue> = {};
    for (const name of Object.keys(node)) {
      const child = await walk((node as Record<string, unknown>)[name], `${path}/${escapeKey(name)}`, depth + 1);
      Object.defineProperty(out, name, { value: child, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  const data = await walk(record.data ?? {}, '', 0);
  return { data, opened };
}

/**
 * The sealed values in a record's data, with their paths: what a count of a subject's values reads.
 * @internal
 */
export function findSealed(data: unknown, path = '', depth = 0, out: { path: string; value: SealedValue }[] = []) {
  if (depth > MAX_DEPTH || typeof data !== 'object' || data === null) return out;
  if (isSealedValue(data)) {
    out.push({ path, value: data });
    return out;
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) findSealed(data[i], `${path}/${i}`, depth + 1, out);
  } else for (const [k, v] of Object.entries(data)) findSealed(v, `${path}/${escapeKey(k)}`, depth + 1, out);
  return out;
}

const escapeKey = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

function checkStore(keys: unknown): SubjectKeyStore {
  const store = keys as Partial<SubjectKeyStore> | null | undefined;
  if (
    typeof store?.reference !== 'function' ||
    typeof store.keyFor !== 'function' ||
    typeof store.get !== 'function' ||
    typeof store.destroy !== 'function'
  ) {
    throw new TypeError('"keys" expected a SubjectKeyStore (reference, keyFor, get, destroy)');
  }
  return store as SubjectKeyStore;
}
