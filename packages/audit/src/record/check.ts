import { AUDIT_EVENT_TYPES, type AuditRecord, DID_KEY, RECORD_VERSION, TIMESTAMP } from './schema.js';

// The patterns of schema.ts, which this check mirrors (a property test holds the two to the same answers).
const TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const SHA256_HEX = /^[0-9a-f]{64}$/;
const SIG_B64 = /^[A-Za-z0-9+/]{85}[AQgw]==$/;
const NOTE_SIG_B64 = /^[A-Za-z0-9+/]{90}[AEIMQUYcgkosw048]=$/;
const PRINTABLE_ID = /^[\x21-\x7E]+$/;
const NO_CONTROL = /^[^\p{Cc}]+$/u;
const EVENT_FIELDS: ReadonlySet<string> = new Set([
  'v',
  'seq',
  'ts',
  'prev',
  'signer',
  'type',
  'callId',
  'agent',
  'tool',
  'data',
  'hash',
  'sig',
]);
const CHECKPOINT_FIELDS: ReadonlySet<string> = new Set([
  'v',
  'seq',
  'ts',
  'prev',
  'signer',
  'type',
  'note',
  'hash',
  'sig',
  'noteSig',
]);

/**
 * The record, when a value parsed from a log line (plain JSON) is plainly a valid record by
 * `AuditRecordSchema`, as a schema parse returns it (a fresh object, members in schema order);
 * undefined when the schema must decide (and word the problem). Verifying reads
 * every line of a log, and a schema parse of each costs about as much as the rest of the checks
 * together; this accepts nothing the schema refuses.
 */
export function quickRecord(value: unknown): AuditRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const checkpoint = r.type === 'checkpoint';
  const fields = checkpoint ? CHECKPOINT_FIELDS : EVENT_FIELDS;
  for (const key of Object.keys(r)) if (!fields.has(key)) return undefined;
  const { v, seq, ts, prev, signer, hash, sig } = r;
  if (v !== RECORD_VERSION) return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof ts !== 'string' || !TIMESTAMP.test(ts)) return undefined;
  if (typeof prev !== 'string' || !SHA256_HEX.test(prev)) return undefined;
  if (typeof signer !== 'string' || !DID_KEY.test(signer)) return undefined;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) return undefined;
  if (checkpoint) {
    const { note, noteSig } = r;
    if (typeof sig !== 'string' || !SIG_B64.test(sig)) return undefined;
    if (typeof note !== 'string' || note.length < 1 || note.length > 4096) return undefined;
    if (typeof noteSig !== 'string' || !NOTE_SIG_B64.test(noteSig)) return undefined;
    // A fresh object in the schema's member order, as a schema parse returns it (what readers print).
    return { v, seq, ts, prev, signer, type: 'checkpoint', note, hash, sig, noteSig };
  }
  const { type, callId, agent, tool, data } = r;
  if (sig !== undefined && (typeof sig !== 'string' || !SIG_B64.test(sig))) return undefined;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  if (typeof callId !== 'string' || callId.length > 256 || !PRINTABLE_ID.test(callId)) return undefined;
  if (typeof agent !== 'string' || !DID_KEY.test(agent)) return undefined;
  if (typeof tool !== 'string' || tool.length > 256 || !NO_CONTROL.test(tool)) return undefined;
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) return undefined;
  // A `__proto__` member is refused (every reader refuses it): the copy below would keep it as data, where the
  // schema's record parse drops it.
  if (data !== undefined && Object.hasOwn(data, '__proto__')) return undefined;
  const record = { v, seq, ts, prev, signer, type, callId, agent, tool } as Record<string, unknown>;
  // `data` copied one level into a plain object, as the schema's record parse copies it.
  if (data !== undefined) record.data = { ...(data as Record<string, unknown>) };
  record.hash = hash;
  if (sig !== undefined) record.sig = sig;
  return record as AuditRecord;
}
