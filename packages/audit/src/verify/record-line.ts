import { verify } from '@agentguard/identity';
import { fromBase64 } from '@agentguard/statement';
import type { AuditErrorCode } from '../errors.js';
import { checkEnvelope, publicKeyOfDid } from '../record/envelope.js';
import { RECORD_MAX_BYTES, recordSigningBytes } from '../record/record.js';
import type { AuditRecord } from '../record/schema.js';
import { textHashes } from '../tree/merkle.js';
import { type LineProblem, readAny, readCanonical, type SignatureCheck } from './checker.js';
import { decodeLine, LINE_NOT_UTF8, LINE_TOO_LARGE } from './lines.js';

/** What {@link verifyRecordLine} found. */
export type RecordLineResult =
  | {
      readonly ok: true;
      readonly record: AuditRecord;
      /** The RFC 9162 leaf hash of the record, to check an inclusion proof against. */
      readonly leaf: Uint8Array;
      /**
       * Whether the record carries its own signature (checked). A batched record has none: only an inclusion
       * proof under a checkpoint signed by the log key authenticates it.
       */
      readonly signed: boolean;
    }
  | { readonly ok: false; readonly code: AuditErrorCode; readonly reason: string };

// The keys of the last signers seen: a bundle's records name a few keys, each decoded once.
const KEYS = new Map<string, Uint8Array | undefined>();
function keyOf(did: string): Uint8Array | undefined {
  if (KEYS.has(did)) return KEYS.get(did);
  const key = publicKeyOfDid(did);
  if (KEYS.size >= 256) KEYS.clear();
  KEYS.set(did, key);
  return key;
}

const fail = (code: AuditErrorCode, reason: string): RecordLineResult => ({ ok: false, code, reason });

/**
 * Checks one log line on its own, without the records around it: strict JSON, the record schema, canonical
 * form, its `hash`, its signature under `signer` (when it has one) and the DSSE call envelope inside a
 * `call.requested` record, exactly as {@link verifyLog} checks each line. What needs the other records (`seq`
 * and `prev` continuing the chain, checkpoint roots) is not checked: pair it with an inclusion proof of the
 * returned `leaf` under a signed checkpoint, as an exported excerpt of a log does. A checkpoint record's
 * note signature is not checked here either (check the note with {@link openNote}). A batched record
 * (`signed: false`) is vouched for by nothing of its own: only by such a checkpoint, and only when that
 * checkpoint is signed by the key the record names as `signer` and that key is one of the log's keys.
 *
 * @param line - one record line without its newline, as bytes (decoded as strict UTF-8) or text.
 * @returns `{ ok: true, record, leaf, signed }` or `{ ok: false, code, reason }`; never throws on bad input.
 * @example
 * ```ts
 * const r = verifyRecordLine(line);
 * if (r.ok && verifyInclusion(r.record.seq, size, r.leaf, proof, root)) console.log('included');
 * ```
 */
export function verifyRecordLine(line: string | Uint8Array): RecordLineResult {
  return checkRecordLine(line, verifyNow);
}

/** Checks one Ed25519 signature, or defers it: see {@link SignatureCheck} of the log checker. */
const verifyNow: SignatureCheck = (signature, message, publicKey) => verify(signature, message, publicKey);

/**
 * @internal {@link verifyRecordLine} with the signature checks made through `check`: at once, or deferred to
 * worker threads (the caller then fails the line whose deferred check does not verify).
 */
export function checkRecordLine(line: string | Uint8Array, check: SignatureCheck): RecordLineResult {
  let text: string;
  if (line instanceof Uint8Array) {
    if (line.length > RECORD_MAX_BYTES) return fail('ERR_AUDIT_RECORD_MALFORMED', LINE_TOO_LARGE);
    const decoded = decodeLine(line);
    if (decoded === undefined) return fail('ERR_AUDIT_RECORD_MALFORMED', LINE_NOT_UTF8);
    text = decoded;
  } else if (typeof line === 'string') {
    text = line;
  } else {
    throw new TypeError(`"line" expected string or Uint8Array, got ${typeof line}`);
  }
  if (text.length === 0) return fail('ERR_AUDIT_RECORD_MALFORMED', 'empty line');
  // The same reading as verifyLog: a canonical line fast, anything else strictly (and refused unless canonical).
  const read = readCanonical(text) ?? readAny(text);
  if ('problem' in read) return { ok: false, ...read.problem };
  const { record, body } = read;
  const { hex: hash, leaf } = textHashes(body);
  if (hash !== record.hash) {
    return fail(
      'ERR_AUDIT_HASH_MISMATCH',
      `record content does not match its hash: record seq ${record.seq} was changed`,
    );
  }
  const key = keyOf(record.signer);
  if (key === undefined) return fail('ERR_AUDIT_RECORD_MALFORMED', `signer ${record.signer} is not an Ed25519 did:key`);
  if (record.sig !== undefined) {
    const problem: LineProblem = {
      code: 'ERR_AUDIT_SIGNATURE_INVALID',
      reason: `signature of record seq ${record.seq} does not verify under ${record.signer}`,
    };
    if (!check(fromBase64(record.sig), recordSigningBytes(hash), key, problem)) return { ok: false, ...problem };
  }
  if (record.type === 'call.requested' && record.data?.envelope !== undefined) {
    const data = record.data;
    const binding = {
      callId: record.callId,
      tool: record.tool,
      agent: record.agent,
      argsDigest: data.inputDigest ?? data.argsDigest,
    };
    const seq = record.seq;
    const problem = checkEnvelope(data.envelope, binding, keyOf, (sig, message, publicKey, reason) =>
      check(sig, message, publicKey, { code: 'ERR_AUDIT_ENVELOPE_INVALID', reason: `record seq ${seq}: ${reason}` }),
    );
    if (problem !== undefined) return fail('ERR_AUDIT_ENVELOPE_INVALID', `record seq ${record.seq}: ${problem}`);
  }
  return { ok: true, record, leaf, signed: record.sig !== undefined };
}
