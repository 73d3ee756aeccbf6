/**
 * Stable error codes of `@agentguard/audit`. Codes are public API: switch on
 * `error.code` (or a failed report's `code`), not on `instanceof`, which fails
 * when two copies of the package are installed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_AUDIT_RECORD_MALFORMED` | a line is not a record: bad JSON, duplicate keys, unknown fields, wrong types, not canonical |
 * | `ERR_AUDIT_RECORD_TRUNCATED` | the last line has no newline: a torn write or a cut file |
 * | `ERR_AUDIT_CHAIN_BROKEN` | `seq` or `prev` does not follow the record before: a record deleted, inserted or reordered |
 * | `ERR_AUDIT_HASH_MISMATCH` | the record's content does not hash to its `hash`: the record was changed |
 * | `ERR_AUDIT_SIGNATURE_INVALID` | `sig` does not verify under `signer` |
 * | `ERR_AUDIT_UNTRUSTED_SIGNER` | the record is signed by a key not in the trust list |
 * | `ERR_AUDIT_ENVELOPE_INVALID` | the DSSE call envelope embedded in a `call.requested` record does not verify |
 * | `ERR_AUDIT_CHECKPOINT_INVALID` | a checkpoint is malformed, badly signed, or names a root the records do not give |
 * | `ERR_AUDIT_TRUNCATED` | the log is shorter than a checkpoint it must extend: records were cut off |
 * | `ERR_AUDIT_FORKED` | the log's records are not the ones a checkpoint it must extend commits to |
 * | `ERR_AUDIT_EVENT_INVALID` | `append` got an event that is not plain JSON of the expected shape |
 * | `ERR_AUDIT_RECORD_TOO_LARGE` | `append` refused a record whose line would exceed `RECORD_MAX_BYTES`; nothing was written |
 * | `ERR_AUDIT_SINK_FAILED` | a sink (or the signer) failed, threw or did not answer within `writeTimeoutMs`; the record is not in the log |
 * | `ERR_AUDIT_CLOSED` | the log or sink is closed |
 * | `ERR_AUDIT_NOT_A_LOG` | a path to verify is not a regular file or a directory of log files (a device, a FIFO); a log to open for writing has a second hard link |
 * | `ERR_AUDIT_SEAL_FAILED` | a value could not be sealed: the key store or the cipher failed; nothing was written |
 * | `ERR_AUDIT_SEAL_INVALID` | a sealed value is malformed, was changed, or was moved to another record or field |
 * | `ERR_AUDIT_SUBJECT_ERASED` | a sealed value's key is not in the key store: its subject was erased (or the store is another) |
 * | `ERR_AUDIT_KEY_STORE_FAILED` | the subject key store could not read, create or destroy a key |
 * | `ERR_AUDIT_LOG_LOCKED` | a log file is held by another writer (its `.lock` names a live process); nothing was read or written |
 */
export const AUDIT_ERROR_CODES = Object.freeze([
  'ERR_AUDIT_RECORD_MALFORMED',
  'ERR_AUDIT_RECORD_TRUNCATED',
  'ERR_AUDIT_CHAIN_BROKEN',
  'ERR_AUDIT_HASH_MISMATCH',
  'ERR_AUDIT_SIGNATURE_INVALID',
  'ERR_AUDIT_UNTRUSTED_SIGNER',
  'ERR_AUDIT_ENVELOPE_INVALID',
  'ERR_AUDIT_CHECKPOINT_INVALID',
  'ERR_AUDIT_TRUNCATED',
  'ERR_AUDIT_FORKED',
  'ERR_AUDIT_EVENT_INVALID',
  'ERR_AUDIT_RECORD_TOO_LARGE',
  'ERR_AUDIT_SINK_FAILED',
  'ERR_AUDIT_CLOSED',
  'ERR_AUDIT_NOT_A_LOG',
  'ERR_AUDIT_SEAL_FAILED',
  'ERR_AUDIT_SEAL_INVALID',
  'ERR_AUDIT_SUBJECT_ERASED',
  'ERR_AUDIT_KEY_STORE_FAILED',
  'ERR_AUDIT_LOG_LOCKED',
] as const);

/** One of {@link AUDIT_ERROR_CODES}. */
export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

/** The one error class of `@agentguard/audit`. */
export class AuditError extends Error {
  override readonly name = 'AuditError';
  /** Stable, machine-readable code. */
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
