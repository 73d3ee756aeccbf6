import { type AuditRecord, AuditRecordSchema, describeIssue } from './schema.js';

/** What {@link parseAuditRecord} found: the record, or the first problem as one line naming the field. */
export type ParseAuditRecordResult =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks that one log line, already read as JSON, has the shape of an audit record (an event or a checkpoint;
 * unknown fields refused). Shape only: hashes, signatures and the chain are {@link verifyLog}'s job, so use this
 * to display or follow a log, never to trust one.
 *
 * @param value - the parsed line.
 * @returns `{ ok: true, record }`, or `{ ok: false, reason }` such as `seq: Too small: expected number to be >=0`.
 * @example
 * ```ts
 * const r = parseAuditRecord(parseJson(line, { maxBytes: RECORD_MAX_BYTES, maxDepth: RECORD_MAX_DEPTH }));
 * if (r.ok) console.log(formatRecord(r.record));
 * ```
 */
export function parseAuditRecord(value: unknown): ParseAuditRecordResult {
  const parsed = AuditRecordSchema.safeParse(value);
  return parsed.success ? { ok: true, record: parsed.data } : { ok: false, reason: describeIssue(parsed.error) };
}
