import { canonicalize, fromBase64Url, toBase64Url, utf8 } from '@agentguard/statement';
import { AuditError } from '../errors.js';

/** The one algorithm of a sealed value: AES-256-GCM, 96-bit IV, 128-bit tag (NIST SP 800-38D). */
export const SEAL_ALG = 'A256GCM';

/**
 * A value sealed for its data subject, as a record holds it in place of the value: encrypted with the subject's
 * key, bound (as GCM additional data) to the subject, the key, what it is, and the record and field it sits in.
 * Only this form is hashed and signed; destroying the subject's key erases the value and keeps the log valid.
 */
export interface SealedValue {
  readonly alg: typeof SEAL_ALG;
  /** `field` (a field named for sealing, whole) or the detector kind that found personal data in a string. */
  readonly kind: string;
  /** The subject's pseudonymous reference (64 hex: HMAC-SHA256 of the subject id under the key store's secret). */
  readonly subject: string;
  /** Id of the subject's key (16 hex). */
  readonly kid: string;
  /** base64url of the 12-byte IV. */
  readonly iv: string;
  /** base64url of the ciphertext. */
  readonly ct: string;
  /** base64url of the 16-byte GCM tag. */
  readonly tag: string;
}

/** Where a sealed value sits: its record's type and call id, and an RFC 6901 pointer from the record's `data`. */
export interface SealContext {
  readonly type: string;
  readonly callId: string;
  readonly path: string;
}

const KEYS = ['alg', 'ct', 'iv', 'kid', 'kind', 'subject', 'tag'];
const KEY_SET: ReadonlySet<string> = new Set(KEYS);
/** Pseudonymous subject reference: 64 lower-case hex. */
export const SUBJECT_REF = /^[0-9a-f]{64}$/;
/** Key id: 16 lower-case hex. */
export const KEY_ID = /^[0-9a-f]{16}$/;
const KIND = /^[a-z0-9-]{1,40}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Whether `value` has the shape of a {@link SealedValue}: exactly its seven fields, each well formed. Says
 * nothing of whether it opens.
 *
 * @param value - any JSON value from a record.
 * @returns true for a sealed value's shape.
 */
export function isSealedValue(value: unknown): value is SealedValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Exactly the seven names: as many, each one of them (names are distinct). No sort: this runs on every value a
  // redaction walks.
  const keys = Object.keys(value);
  if (keys.length !== KEYS.length) return false;
  for (const key of keys) if (!KEY_SET.has(key)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.alg === SEAL_ALG &&
    typeof v.kind === 'string' &&
    KIND.test(v.kind) &&
    typeof v.subject === 'string' &&
    SUBJECT_REF.test(v.subject) &&
    typeof v.kid === 'string' &&
    KEY_ID.test(v.kid) &&
    typeof v.iv === 'string' &&
    v.iv.length === 16 &&
    B64URL.test(v.iv) &&
    typeof v.ct === 'string' &&
    v.ct.length <= 1_500_000 &&
    B64URL.test(v.ct) &&
    typeof v.tag === 'string' &&
    v.tag.length === 22 &&
    B64URL.test(v.tag)
  );
}

/** The GCM additional data: every field of the sealed value but the cipher's own, and where it sits. */
function aad(header: Pick<SealedValue, 'kind' | 'subject' | 'kid'>, at: SealContext): Uint8Array<ArrayBuffer> {
  // A copy on its own ArrayBuffer: WebCrypto's BufferSource (DOM typings) takes no shared-buffer views.
  return new Uint8Array(
    utf8(
      canonicalize({
        v: 'agentguard/seal/v1',
        alg: SEAL_ALG,
        kind: header.kind,
        subject: header.subject,
        kid: header.kid,
        type: at.type,
        callId: at.callId,
        path: at.path,
      }),
    ),
  );
}

async function importKey(key: Uint8Array, use: 'encrypt' | 'decrypt'): ReturnType<typeof crypto.subtle.importKey> {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'a subject key must be 32 bytes (AES-256)');
  }
  return crypto.subtle.importKey('raw', key.slice(), { name: 'AES-GCM' }, false, [use]);
}

/** A subject key imported for sealing, once per call. @internal */
export type SealKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/**
 * Imports a subject key for sealing. @internal
 * @throws AuditError `ERR_AUDIT_SEAL_FAILED` when it is not a 32-byte key.
 */
export async function sealKey(key: Uint8Array): Promise<SealKey> {
  try {
    return await importKey(key, 'encrypt');
  } catch (cause) {
    throw new AuditError('ERR_AUDIT_SEAL_FAILED', 'the subject key cannot be used for sealing', { cause });
  }
}

/**
 * Seals `text` for a subject. @internal (see `createSealer`)
 * @throws AuditError `ERR_AUDIT_SEAL_FAILED` when the cipher fails.
 */
export async function sealText(
  text: string,
  header: { readonly kind: string; readonly subject: string; readonly kid: string; readonly key: SealKey },
  at: SealContext,
): Promise<SealedValue> {
  try {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const key = header.key;
    const out = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad(header, at), tagLength: 128 },
        key,
        new Uint8Array(utf8(text)),
      ),
    );
    return Object.freeze({
      alg: SEAL_ALG,
      kind: header.kind,
      subject: header.subject,
      kid: header.kid,
      iv: toBase64Url(iv),
      ct: toBase64Url(out.subarray(0, out.length - 16)),
      tag: toBase64Url(out.subarray(out.length - 16)),
    });
  } catch (cause) {
    throw new AuditError('ERR_AUDIT_SEAL_FAILED', 'a value could not be sealed', { cause });
  }
}

/**
 * Opens a sealed value with its subject's key, where it sits. @internal (see `unsealRecord`)
 * @throws AuditError `ERR_AUDIT_SEAL_INVALID` when it was changed, moved, or is malformed.
 */
export async function openSealed(sealed: SealedValue, key: Uint8Array, at: SealContext): Promise<string> {
  let plain: ArrayBuffer;
  try {
    const iv = new Uint8Array(fromBase64Url(sealed.iv));
    const ct = fromBase64Url(sealed.ct);
    const tag = fromBase64Url(sealed.tag);
    if (iv.length !== 12 || tag.length !== 16) throw new Error('bad IV or tag length');
    const body = new Uint8Array(ct.length + 16);
    body.set(ct, 0);
    body.set(tag, ct.length);
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: aad(sealed, at), tagLength: 128 },
      await importKey(key, 'decrypt'),
      body,
    );
  } catch (cause) {
    throw new AuditError(
      'ERR_AUDIT_SEAL_INVALID',
      `sealed value at ${at.path} of ${at.type} ${at.callId} does not open: changed, moved, or malformed`,
      { cause },
    );
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(plain);
}
