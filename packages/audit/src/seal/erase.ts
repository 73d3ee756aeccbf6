import type { Signer } from '@agentguard/identity';
import type { AuditLog } from '../log/log.js';
import type { AuditRecord } from '../record/schema.js';
import { checkReference, checkSubject, type SubjectKeyStore } from './keys.js';

/** Options of {@link eraseSubject}. */
export interface EraseSubjectOptions {
  /** The key store the subject's values were sealed with. */
  readonly keys: SubjectKeyStore;
  /** The subject id, as calls named it; or give `reference` instead. */
  readonly subject?: string;
  /** The subject's pseudonymous reference (64 hex), when the id itself is no longer known. */
  readonly reference?: string;
  /** The log the signed `subject.erased` record goes to: the one the guard writes (never a second writer). */
  readonly audit: AuditLog;
  /** Signs the record (the guard's or the operator's identity); its did:key is the record's `agent`. */
  readonly signer: Signer;
  /**
   * How many values sealed for the subject the log held, when the caller counted them (the CLI does).
   * @default not recorded
   */
  readonly sealedValues?: number;
}

/** What an erasure did. */
export interface Erasure {
  /** The subject's pseudonymous reference, as the record and the sealed values name it. */
  readonly subject: string;
  /** Ids of the keys destroyed (empty when the subject had no key left: erased before, or never sealed for). */
  readonly keyIds: readonly string[];
  /** The signed `subject.erased` record. */
  readonly record: AuditRecord;
}

/**
 * Erases a data subject by crypto-shredding: destroys the subject's keys in the key store, so that no value
 * sealed for it can be opened again, then appends a signed `subject.erased` record. The log is not rewritten:
 * its records hold only ciphertext, so every hash, signature, checkpoint and proof still verifies.
 *
 * The keys go first: should the record fail to write, the data is erased all the same, and a second call
 * writes the record (with no key ids left to destroy).
 *
 * @param options - see {@link EraseSubjectOptions}.
 * @returns the reference, the key ids destroyed, and the record.
 * @throws TypeError or RangeError on bad options; AuditError `ERR_AUDIT_KEY_STORE_FAILED` when the keys could not
 * be destroyed (nothing is recorded), or the log's code when the record could not be written.
 * @example
 * ```ts
 * const { keyIds } = await eraseSubject({ keys, subject: 'customer-42', audit: log, signer: operator });
 * ```
 */
export async function eraseSubject(options: EraseSubjectOptions): Promise<Erasure> {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { keys, audit, signer, sealedValues } = options;
  if ((options.subject === undefined) === (options.reference === undefined)) {
    throw new TypeError('"subject" or "reference" expected, exactly one');
  }
  if (sealedValues !== undefined && !(Number.isSafeInteger(sealedValues) && sealedValues >= 0)) {
    throw new RangeError(`"sealedValues" expected a count, got ${String(sealedValues)}`);
  }
  const subject =
    options.reference === undefined
      ? await keys.reference(checkSubject(options.subject))
      : checkReference(options.reference);
  const keyIds = [...(await keys.destroy(subject))].sort();
  const record = await audit.append(
    {
      type: 'subject.erased',
      callId: `erase:${crypto.randomUUID()}`,
      agent: signer.id,
      tool: 'agentguard.erase',
      data: { subject, keyIds, ...(sealedValues === undefined ? {} : { sealedValues }) },
    },
    signer,
  );
  return Object.freeze({ subject, keyIds: Object.freeze(keyIds), record });
}
