import { AuditError } from '../errors.js';
import { checkRecordData } from '../record/data-check.js';
import { AUDIT_EVENT_TYPES, type AuditEvent, AuditEventSchema, DID_KEY, describeIssue } from '../record/schema.js';

const TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const FIELDS: ReadonlySet<string> = new Set(['type', 'callId', 'agent', 'tool', 'data']);
// The same patterns as AuditEventSchema (schema.ts): printable ASCII ids, no control characters in tool names.
const PRINTABLE_ID = /^[\x21-\x7E]+$/;
const NO_CONTROL = /^[^\p{Cc}]+$/u;

/**
 * The event `append` accepts, checked and copied once: each field is read once into a fresh
 * object (so a getter cannot show the check one value and the record another), and `data` is
 * copied one level deep, as the schema's parse does.
 *
 * Equal in what it accepts to `AuditEventSchema` (a property test holds it to that): the common,
 * valid event is checked by hand, which is several times cheaper than a schema parse on every
 * append; anything the hand check does not accept goes to the schema, which refuses it with its
 * message (or accepts it, if the hand check was only more cautious).
 *
 * Then its `data` is held to the record-data contract of its type.
 *
 * @throws AuditError `ERR_AUDIT_EVENT_INVALID` naming the first bad field.
 */
export function checkEvent(event: unknown): AuditEvent {
  const checked = quickCopy(event) ?? schemaCopy(event);
  // The record-data contract of its type (record-data.ts): what `data` may hold for this record type.
  if (checked.data !== undefined) {
    const problem = checkRecordData(checked.type, checked.data);
    if (problem !== undefined) throw new AuditError('ERR_AUDIT_EVENT_INVALID', `invalid event: data.${problem}`);
  }
  return checked;
}

function schemaCopy(event: unknown): AuditEvent {
  const parsed = AuditEventSchema.safeParse(event);
  if (!parsed.success) throw new AuditError('ERR_AUDIT_EVENT_INVALID', `invalid event: ${describeIssue(parsed.error)}`);
  const { data, ...rest } = parsed.data;
  return data === undefined ? rest : { ...rest, data };
}

/** A copy of a plainly valid event, or undefined when the schema must decide. */
function quickCopy(event: unknown): AuditEvent | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  if (Object.getPrototypeOf(event) !== Object.prototype) return undefined;
  const keys = Object.keys(event);
  for (const key of keys) if (!FIELDS.has(key)) return undefined;
  const e = event as Record<string, unknown>;
  const type = e.type;
  const callId = e.callId;
  const agent = e.agent;
  const tool = e.tool;
  const data = e.data;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  if (typeof callId !== 'string' || callId.length > 256 || !PRINTABLE_ID.test(callId)) return undefined;
  if (typeof agent !== 'string' || !DID_KEY.test(agent)) return undefined;
  if (typeof tool !== 'string' || tool.length > 256 || !NO_CONTROL.test(tool)) return undefined;
  const out = { type, callId, agent, tool } as { -readonly [K in keyof AuditEvent]: AuditEvent[K] };
  if (data !== undefined) {
    const copy = plainRecordCopy(data);
    if (copy === undefined) return undefined;
    out.data = copy;
  }
  return out;
}

/** A one-level copy of a plain object with only string keys, or undefined (the schema decides). */
function plainRecordCopy(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  if (Object.getPrototypeOf(data) !== Object.prototype) return undefined;
  if (Object.getOwnPropertySymbols(data).length > 0) return undefined;
  const names = Object.getOwnPropertyNames(data);
  const copy: Record<string, unknown> = {};
  for (const name of names) {
    // Non-enumerable members and `__proto__` are left to the schema (and so to its exact handling).
    if (name === '__proto__' || !Object.prototype.propertyIsEnumerable.call(data, name)) return undefined;
    copy[name] = (data as Record<string, unknown>)[name];
  }
  return copy;
}
