import { type FileAuditLog, type FileAuditLogOptions, openFileAuditLog } from '@agentguard/audit/file';

/** Usage text for a command that appends to a log. */
export const APPEND_LOG_NOTE = `The log is locked while the record is appended: a log another writer (a running
guard) holds is refused (exit 2) and nothing is read or written; a log whose last
line has no newline, or that ends in batched records no checkpoint covers (what a
crash leaves), is refused at that line and nothing is cut: the guard that writes
the log sets them aside when it next opens it.`;

/**
 * Opens a log the CLI appends a record to. The CLI is a one-off writer: it takes the log's writer lock
 * (refused with `ERR_AUDIT_LOG_LOCKED`, exit 2, while a guard or another command holds it), and it never
 * cuts a torn tail it did not write: a last line without a newline may be another writer's write in
 * progress (one that predates the lock), so it is refused with `ERR_AUDIT_RECORD_TRUNCATED` naming
 * `file:line` (exit 1); so are batched records no checkpoint covers (`ERR_AUDIT_SIGNATURE_INVALID`), which its
 * checkpoint would otherwise vouch for. The writer that owns the log sets either aside when it next opens it.
 *
 * @throws AuditError `ERR_AUDIT_LOG_LOCKED`, `ERR_AUDIT_RECORD_TRUNCATED`, `ERR_AUDIT_SIGNATURE_INVALID` or the
 *   code of the first damaged record.
 */
export function openLogForAppend(
  path: string,
  options: Pick<FileAuditLogOptions, 'checkpoint' | 'previousLogKeys'> = {},
): Promise<FileAuditLog> {
  return openFileAuditLog(path, { ...options, tornTail: 'refuse' });
}
