import type { EventRecord } from '@agentguard/audit';
import type { LogFacts } from './read.js';
import {
  CALL_END_TYPES,
  callKey,
  countTypes,
  dataOf,
  finding,
  type Measure,
  OUTCOME_TYPES,
  percent,
  REFUSAL_TYPES,
  shareStatus,
  signedByAgent,
  weakest,
} from './measure.js';
import type { Finding } from './types.js';

const isCall = (e: EventRecord) => e.type.startsWith('call.') || e.type.startsWith('approval.');

/** Options of {@link loggingActivity}: extra findings some regimes ask for. */
export interface ActivityOptions {
  /** List what the log shows of risk situations (monitor alerts, refusals, changed attestations). */
  readonly risks?: boolean;
}

/**
 * Whether the log records activity: which event kinds it holds, that calls are recorded with their outcome,
 * and whether logging was interrupted (`gap`: calls went unrecorded; `log.recovered`: a torn write).
 */
export function loggingActivity(facts: LogFacts, options: ActivityOptions = {}): Measure {
  const { events } = facts;
  const kinds = countTypes(events);
  const calls = events.filter(isCall);
  const findings: Finding[] = [];
  const kindList = [...kinds].map(([type, n]) => `${type} (${n})`).join(', ');
  findings.push(
    calls.length === 0
      ? finding('not found', 'no call event recorded: the log shows no tool call at all', [], [])
      : finding(
          'found',
          `event kinds logged: ${kindList}`,
          calls.map((e) => e.seq),
        ),
  );
  const refusals = events.filter((e) => REFUSAL_TYPES.has(e.type));
  if (calls.length > 0) {
    findings.push(
      refusals.length === 0
        ? finding('found', 'no refused call or connection in this log (none happened, or the log cannot tell)')
        : finding(
            'found',
            `refused access attempts logged: ${refusals.length}`,
            refusals.map((e) => e.seq),
          ),
    );
  }
  const interruptions = events.filter((e) => e.type === 'gap' || e.type === 'log.recovered');
  let missed = 0;
  for (const e of interruptions) {
    const n = dataOf(e).missed;
    if (e.type === 'gap' && n !== undefined) missed += n;
  }
  findings.push(
    interruptions.length === 0
      ? finding('found', 'no gap or recovery record: the log records no interruption of logging')
      : finding(
          'partly',
          `logging was interrupted: ${interruptions.length} gap or recovery record(s), ${missed} event(s) reported unrecorded`,
          [],
          interruptions.map((e) => e.seq),
        ),
  );
  if (options.risks === true) findings.push(riskFinding(events));
  const measured: Record<string, number | string> = {
    'call events': calls.length,
    'event records': events.length,
    interruptions: interruptions.length,
    'refused attempts': refusals.length,
    'unrecorded events reported': missed,
  };
  for (const [type, n] of kinds) measured[`records of ${type}`] = n;
  return { status: weakest(findings.map((f) => f.status)), measured, findings };
}

/** What the log shows of situations that may present a risk: alerts, refusals, changed attestations. */
function riskFinding(events: readonly EventRecord[]): Finding {
  const risky = events.filter((e) => {
    if (e.type === 'monitor.alert' || REFUSAL_TYPES.has(e.type)) return true;
    if (e.type !== 'attestation') return false;
    const changes = dataOf(e).changes;
    return changes !== undefined && changes.length > 0;
  });
  return finding(
    'found',
    risky.length === 0
      ? 'no monitor alert, refusal or changed attestation recorded'
      : `situations that may present a risk recorded: ${risky.length} (monitor alerts, refusals, changed attestations)`,
    risky.map((e) => e.seq),
  );
}

/** The elements PCI DSS 10.2.2 asks of each record, in report order. */
const ELEMENTS = [
  'user or agent id',
  'event type',
  'time',
  'success or failure',
  'origin',
  'affected resource',
] as const;

/**
 * The share of event records that carry each element of an audit trail entry: who (the agent's did:key), what
 * (the type), when (`ts`), whether it succeeded (the type itself, or for a request an outcome record of the same
 * call), where from (the signing key; for a call request, the agent's own signature: its call envelope, or the record's) and on what (the
 * tool; for a call request, its arguments' digest).
 */
export function recordElements(facts: LogFacts): Measure {
  const { events } = facts;
  const ended = new Set<string>();
  const approvalDone = new Set<string>();
  for (const e of events) {
    if (CALL_END_TYPES.has(e.type)) ended.add(callKey(e));
    if (e.type === 'approval.granted' || e.type === 'approval.refused' || CALL_END_TYPES.has(e.type)) {
      approvalDone.add(callKey(e));
    }
  }
  const has: Record<(typeof ELEMENTS)[number], (e: EventRecord) => boolean | undefined> = {
    'user or agent id': (e) => e.agent.startsWith('did:key:'),
    'event type': (e) => e.type.length > 0,
    time: (e) => Number.isFinite(Date.parse(e.ts)),
    'success or failure': (e) => {
      if (OUTCOME_TYPES.has(e.type)) return true;
      if (e.type === 'call.requested') return ended.has(callKey(e));
      if (e.type === 'approval.requested') return approvalDone.has(callKey(e));
      return undefined; // not a call: no outcome to state
    },
    origin: (e) => (e.type === 'call.requested' ? signedByAgent(e) : e.signer.length > 0),
    'affected resource': (e) =>
      e.tool.length > 0 && (e.type !== 'call.requested' || typeof dataOf(e).argsDigest === 'string'),
  };
  const findings: Finding[] = [];
  const measured: Record<string, number | string> = { 'event records': events.length };
  for (const element of ELEMENTS) {
    const yes: number[] = [];
    const no: number[] = [];
    for (const e of events) {
      const v = has[element](e);
      if (v === true) yes.push(e.seq);
      else if (v === false) no.push(e.seq);
    }
    const applicable = yes.length + no.length;
    measured[`share with ${element}`] = percent(yes.length, applicable);
    findings.push(
      finding(
        shareStatus(yes.length, applicable),
        applicable === 0
          ? `${element}: no record it applies to`
          : `${element}: ${yes.length} of ${applicable} record(s) (${percent(yes.length, applicable)})`,
        yes,
        no,
      ),
    );
  }
  return { status: weakest(findings.map((f) => f.status)), measured, findings };
}
