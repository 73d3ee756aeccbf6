import { checkRecordData } from './record-data-check.js';
import { AUDIT_EVENT_TYPES, type AuditEvent, type AuditEventType, DID_KEY } from './schema.js';

/**
 * The check `append` runs on each event, written by hand: what `AuditEventSchema` accepts (a strict object of
 * `type`, `callId`, `agent`, `tool` and optional plain-object `data`), then the record-data contract of its
 * type. A handful of property reads and three regex tests per event, and no copy of the caller's data beyond
 * its top level (a zod parse of every event a guard built itself cost more than the rest of the check).
 */

const TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const KEYS: ReadonlySet<string> = new Set(['type', 'callId', 'agent', 'tool', 'data']);
// As AuditEventSchema: printable ASCII without spaces, 1-256; no control characters, 1-256.
const CALL_ID = /^[\x21-\x7E]{1,256}$/;
const NO_CONTROL = /^[^\p{Cc}]+$/u;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * An event as `append` writes it (its `data` copied at the top level), or why it cannot be written.
 * @returns `{ event }`, or `{ problem }`: one line naming the field.
 */
export function checkEvent(input: unknown): { readonly event: AuditEvent } | { readonly problem: string } {
  if (!isPlainObject(input)) return { problem: 'event: expected an object' };
  for (const key of Object.keys(input)) {
    if (!KEYS.has(key)) return { problem: `event: unknown field ${JSON.stringify(key.slice(0, 64))}` };
  }
  const { type, callId, agent, tool, data } = input;
  if (typeof type !== 'string' || !TYPES.has(type)) return { problem: 'type: expected a record type' };
  if (typeof callId !== 'string' || !CALL_ID.test(callId)) {
    return { problem: 'callId: expected 1-256 printable ASCII characters without spaces' };
  }
  if (typeof agent !== 'string' || !DID_KEY.test(agent)) return { problem: 'agent: expected an Ed25519 did:key' };
  if (typeof tool !== 'string' || tool.length > 256 || !NO_CONTROL.test(tool)) {
    return { problem: 'tool: expected 1-256 characters without control characters' };
  }
  if (data === undefined) return { event: { type: type as AuditEventType, callId, agent, tool } };
  if (!isPlainObject(data)) return { problem: 'data: expected an object' };
  const problem = checkRecordData(type as AuditEventType, data);
  if (problem !== undefined) return { problem: `data.${problem}` };
  // Copied at the top level (as the schema's parse did), so the record returned cannot be changed through
  // the caller's object; deeper values are canonicalised at once, before append returns.
  return { event: { type: type as AuditEventType, callId, agent, tool, data: { ...data } } };
}
