import { type AnyRecordData, type EventRecord, readRecordFields } from '@agentguard/audit';
import { seqRanges } from './seqs.js';
import type { Finding, FindingStatus } from './types.js';

/** What a measure computes for a control: its status, numbers and findings (the regime adds id, title, limits). */
export interface Measure {
  readonly status: FindingStatus;
  readonly measured: Readonly<Record<string, number | string>>;
  readonly findings: readonly Finding[];
}

/** A finding; seq numbers are compressed into runs. */
export function finding(
  status: FindingStatus,
  text: string,
  supports: Iterable<number> = [],
  contradicts: Iterable<number> = [],
): Finding {
  return { status, text, supports: seqRanges(supports), contradicts: seqRanges(contradicts) };
}

const RANK: Readonly<Record<FindingStatus, number>> = { 'not found': 0, partly: 1, found: 2 };

/** The weakest of some statuses (`found` when there are none). */
export function weakest(statuses: Iterable<FindingStatus>): FindingStatus {
  let out: FindingStatus = 'found';
  for (const s of statuses) if (RANK[s] < RANK[out]) out = s;
  return out;
}

/** `part` of `whole` as a percentage with one decimal, rounded down (so 100.0% means all of them). */
export function percent(part: number, whole: number): string {
  if (whole === 0) return 'n/a';
  return `${(Math.floor((part * 1000) / whole) / 10).toFixed(1)}%`;
}

/** found (all), partly (some), not found (none) of `part` out of `whole` (not found when `whole` is 0). */
export function shareStatus(part: number, whole: number): FindingStatus {
  if (whole === 0 || part === 0) return 'not found';
  return part === whole ? 'found' : 'partly';
}

/** Record types that state how a call (or connection) ended. */
export const OUTCOME_TYPES: ReadonlySet<string> = new Set([
  'call.completed',
  'call.failed',
  'call.denied',
  'call.invalid',
  'approval.granted',
  'approval.refused',
  'egress.allowed',
  'egress.refused',
]);

/** Record types that end a call: after one of them, the call has its outcome. */
export const CALL_END_TYPES: ReadonlySet<string> = new Set([
  'call.completed',
  'call.failed',
  'call.denied',
  'call.invalid',
  'approval.refused',
]);

/** Record types that refuse something: a denied, invalid or refused call, a refused connection. */
export const REFUSAL_TYPES: ReadonlySet<string> = new Set([
  'call.denied',
  'call.invalid',
  'approval.refused',
  'egress.refused',
]);

/**
 * Whether a `call.requested` record shows the calling agent's own signature over the call: it holds the agent's
 * DSSE call envelope (full verification checked it against the record), or the record itself is signed by the
 * agent (`signer` is `agent`, and `sig` is present: a guard's own call, signed with the agent's key). A batched
 * record (throughput mode) is vouched for by the log key only. A record signature shows that whoever held the
 * agent's key signed it; where that key lives in a signer process that signs record hashes on request, only an
 * envelope shows that process's own policy consented to the call (see docs/compliance.md).
 */
export function signedByAgent(e: EventRecord): boolean {
  return dataOf(e).envelope !== undefined || (e.sig !== undefined && e.signer === e.agent);
}

/**
 * A record's `data` as the record contract types it: the fields its type names. Data that breaks the contract (a signer may write anything
 * the log accepts its signature on) is read as empty: no field of it counts as evidence, for or against.
 */
export function dataOf(record: EventRecord): AnyRecordData {
  let data = read.get(record);
  if (data === undefined) {
    data = readRecordFields(record.type, record.data) ?? {};
    read.set(record, data);
  }
  return data;
}

/** Each record's data as {@link dataOf} read it: the measures read one record many times. */
const read = new WeakMap<EventRecord, AnyRecordData>();

/** The key of one call: its agent and id (two agents may reuse an id). */
export const callKey = (r: EventRecord): string => `${r.agent} ${r.callId}`;

/** Counts of each event type, keys sorted. */
export function countTypes(events: readonly EventRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
