import { type RiskTier, isRiskTier } from '@agentguard/policy';
import { AssessError } from './errors.js';

/** An audit record as the assessment reads it (a parsed line of a verified log). */
export interface LogRecord {
  readonly seq: number;
  readonly type: string;
  readonly ts: string;
  readonly callId?: string;
  readonly agent?: string;
  readonly tool?: string;
  readonly data?: unknown;
}

/** One call, as the log tells it. */
export interface LoggedCall {
  /** `seq` of its `call.requested` record. */
  readonly seq: number;
  readonly ts: string;
  readonly agent: string;
  readonly tool: string;
  readonly tags: readonly string[];
  readonly labels: readonly string[];
  readonly tier: RiskTier | undefined;
  /** Recorded arguments; undefined for a sensitive tool. */
  readonly args: unknown;
  /** The policy's effect; undefined when the call never reached a decision. */
  readonly effect: 'allow' | 'deny' | 'require_approval' | undefined;
  /** The decision's mode (`monitor`: the policy only watched). */
  readonly mode: 'enforce' | 'monitor' | 'off' | undefined;
  /** Whether the call would have been denied (allowed only because of monitor mode). */
  readonly wouldDeny: boolean;
  readonly ruleId: string | null;
  /** Whether an approval was asked for, and how it ended. */
  readonly approval: 'none' | 'requested' | 'granted' | 'refused';
  /** Whether the call was refused, for any reason. */
  readonly refused: boolean;
}

/** What the assessment reads out of a log. */
export interface LogSummary {
  readonly calls: readonly LoggedCall[];
  /** `seq` of each `monitor.alert` record. */
  readonly alerts: readonly number[];
  /** The assessments the log already holds (`seq`). */
  readonly assessments: readonly number[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): readonly string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : [];

function field(data: unknown, key: string): unknown {
  return isObject(data) && Object.hasOwn(data, key) ? data[key] : undefined;
}

function checkRecord(r: LogRecord, i: number): void {
  if (!isObject(r)) throw new AssessError('ERR_ASSESS_LOG_INVALID', `log record ${i}: expected an object`);
  if (!Number.isSafeInteger(r.seq) || r.seq < 0)
    throw new AssessError('ERR_ASSESS_LOG_INVALID', `log record ${i}: "seq" expected a non-negative integer`);
  if (typeof r.type !== 'string' || typeof r.ts !== 'string')
    throw new AssessError('ERR_ASSESS_LOG_INVALID', `log record ${i}: "type" and "ts" expected strings`);
  if (
    r.type !== 'checkpoint' &&
    (typeof r.callId !== 'string' || typeof r.agent !== 'string' || typeof r.tool !== 'string')
  )
    throw new AssessError('ERR_ASSESS_LOG_INVALID', `log record ${i}: "callId", "agent" and "tool" expected strings`);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads calls, alerts and past assessments out of audit records, in log order. Records of a call that never
 * asked (an outcome without its request) are ignored. Pure.
 *
 * @param records - the records of a verified log (verify first: a tampered log would mislead the assessment).
 * @throws AssessError `ERR_ASSESS_LOG_INVALID` when a record lacks the fields every record has.
 */
export function summariseLog(records: readonly LogRecord[]): LogSummary {
  if (!Array.isArray(records)) throw new TypeError('"records" expected an array');
  const calls = new Map<string, Mutable<LoggedCall> & { decided: boolean }>();
  const alerts: number[] = [];
  const assessments: number[] = [];
  records.forEach((r, i) => {
    checkRecord(r, i);
    if (r.type === 'monitor.alert') alerts.push(r.seq);
    if (r.type === 'assessment') assessments.push(r.seq);
    const callId = r.callId as string;
    if (r.type === 'call.requested') {
      const tier = field(r.data, 'tier');
      calls.set(callId, {
        seq: r.seq,
        ts: r.ts,
        agent: String(field(r.data, 'agentName') ?? r.agent),
        tool: r.tool as string,
        tags: strings(field(r.data, 'tags')),
        labels: strings(field(r.data, 'labels')),
        tier: isRiskTier(tier) ? tier : undefined,
        args: field(r.data, 'args'),
        effect: undefined,
        mode: undefined,
        wouldDeny: false,
        ruleId: null,
        approval: 'none',
        refused: false,
        decided: false,
      });
      return;
    }
    const call = calls.get(callId);
    if (call === undefined) return;
    if (r.type === 'approval.requested') call.approval = 'requested';
    if (r.type === 'approval.granted') call.approval = 'granted';
    if (r.type === 'approval.refused') call.approval = 'refused';
    if (r.type === 'call.denied' || r.type === 'call.invalid' || r.type === 'approval.refused') call.refused = true;
    const decision = field(r.data, 'decision');
    const effect = field(decision, 'effect');
    if (!call.decided && (effect === 'allow' || effect === 'deny' || effect === 'require_approval')) {
      call.decided = true;
      call.effect = effect;
      const mode = field(decision, 'mode');
      if (mode === 'enforce' || mode === 'monitor' || mode === 'off') call.mode = mode;
      call.wouldDeny = field(decision, 'wouldDeny') === true;
      const ruleId = field(decision, 'ruleId');
      call.ruleId = typeof ruleId === 'string' ? ruleId : null;
    } else if (!call.decided && r.type === 'call.denied' && field(r.data, 'code') === 'ERR_GUARD_POLICY_DENIED') {
      call.decided = true;
      call.effect = 'deny';
    }
  });
  const out = [...calls.values()].map(({ decided: _decided, ...call }) => Object.freeze(call) as LoggedCall);
  return Object.freeze({
    calls: Object.freeze(out),
    alerts: Object.freeze(alerts),
    assessments: Object.freeze(assessments),
  });
}
