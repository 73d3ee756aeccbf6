import type {
  ApprovalRecordCode,
  AuditEvent,
  AuditEventType,
  CallRequestedData,
  DecisionData,
  RecordDataByType,
  RefusalData,
} from '@agentguard/audit';
import type { Decision } from '@agentguard/policy';
import { type DecidedTool, toolTier } from './decide-call.js';
import type { CallArgs } from './args.js';
import type { GuardContext, RecordedArgs, SealScope } from './context.js';
import type { EngineView } from './decision.js';
import { type Denial, type DenialOutcome, type GuardErrorCode, makeDenial } from './errors.js';
import { emitSafely } from './events.js';
import { extend } from './extend.js';
import { isolationRecord, isolationRefuses, judgeIsolation, type ToolIsolation } from './isolation.js';
import { ID_MAX_CHARS, type TextCleaner } from './text.js';
import type { GuardOutcome } from './guarded-tool.js';

/** @internal Who a call is, as its records and events name it; rebound once an envelope is verified. */
export interface CallScope {
  readonly callId: string;
  /** The agent is this guard's identity, or the verified signer of an incoming envelope. */
  readonly agent: string;
  /** The fields every event of this call carries. */
  readonly base: { callId: string; tool: string; agent: string };
  /** Names the call after its verified envelope. */
  bind(callId: string, agent: string): void;
  /** The one way a call's Denial is made: its reason redacted and bounded (`verbatim`: bounded only). */
  refuse(
    outcome: DenialOutcome,
    code: GuardErrorCode,
    reason: string,
    ruleId?: string | null,
    options?: { verbatim?: boolean },
  ): Denial;
  /** Appends one record of this call (fail-closed, or counted as a gap for a fail-open tool). */
  record<K extends AuditEventType>(type: K, data: RecordDataByType[K]): Promise<void>;
  /** Records the refusal, then reports it; a refusal that cannot be recorded becomes `ERR_GUARD_AUDIT_FAILED`. */
  refuseAudited<T>(
    denial: Denial,
    data: RefusalData,
    type?: 'call.denied' | 'call.invalid' | 'approval.requested' | 'approval.refused',
  ): Promise<GuardOutcome<T>>;
  /** Reports a refusal without recording it. */
  denyUnaudited<T>(denial: Denial): GuardOutcome<T>;
}

/** @internal What of a tool the records of its calls need. */
export interface RecordedTool {
  readonly name: string;
  readonly batched: boolean;
  readonly auditFailure: 'closed' | 'open';
}

/** @internal Opens the record-writing scope of one call. */
export function openCall(ctx: GuardContext, tool: RecordedTool, callId: string): CallScope {
  const { audit, identity, events } = ctx;
  const scope = {
    callId,
    agent: ctx.self,
    base: { callId, tool: tool.name, agent: ctx.self },
    bind(callId: string, agent: string): void {
      scope.callId = callId;
      scope.agent = agent;
      scope.base.callId = callId;
      scope.base.agent = agent;
    },
    refuse: (
      outcome: DenialOutcome,
      code: GuardErrorCode,
      reason: string,
      ruleId: string | null = null,
      options: { verbatim?: boolean } = {},
    ) => makeDenial(ctx.text, { outcome, code, reason, tool: tool.name, callId: scope.callId, ruleId }, options),
    async record<K extends AuditEventType>(type: K, data: RecordDataByType[K]): Promise<void> {
      try {
        const gapWritten = ctx.flushGap(tool.name);
        if (gapWritten !== undefined) await gapWritten;
        // Typed by the record-data contract here; the log checks it again on append (interfaces carry no
        // index signature, so the contract's types widen to the event's plain-object `data` by assertion).
        const event: AuditEvent = {
          type,
          callId: scope.callId,
          agent: scope.agent,
          tool: tool.name,
          data: data as Readonly<Record<string, unknown>>,
        };
        await (tool.batched ? audit.appendBatched(event) : audit.append(event, identity));
      } catch (error) {
        // Fail closed unless this tool was explicitly made fail-open: then the call goes on and
        // the gap is recorded as soon as the log takes writes again.
        if (tool.auditFailure !== 'open') throw error;
        ctx.noteGap(error);
      }
    },
    async refuseAudited<T>(
      denial: Denial,
      data: RefusalData,
      type: 'call.denied' | 'call.invalid' | 'approval.requested' | 'approval.refused' = denial.outcome === 'invalid'
        ? 'call.invalid'
        : 'call.denied',
    ): Promise<GuardOutcome<T>> {
      try {
        // The record holds the redacted text even when the model was shown a tool's error verbatim.
        await scope.record(type, extend(data, { code: denial.code, reason: ctx.text.clean(denial.reason) }));
      } catch {
        // Still refused; the refusal itself could not be written, which the caller learns from the code.
        const reason = `${denial.reason} (and the audit log is unavailable)`;
        return scope.denyUnaudited<T>(
          makeDenial(
            ctx.text,
            extend(denial, { code: 'ERR_GUARD_AUDIT_FAILED' as const, reason: ctx.text.clean(reason) }),
          ),
        );
      }
      return scope.denyUnaudited<T>(denial);
    },
    denyUnaudited<T>(denial: Denial): GuardOutcome<T> {
      emitSafely(events, 'denied', scope.base, { denial });
      return { ok: false, callId: scope.callId, denial };
    },
  };
  return scope;
}

/**
 * @internal The data of an `approval.refused` record, as a run (the guard's approver) and `refuse()` (the
 * framework's) both write it; `code` and `reason` come from the Denial. An approver is named only when a
 * verified signature names them.
 */
export function approvalRefusedData(
  text: TextCleaner,
  refusal: {
    readonly code: ApprovalRecordCode;
    readonly approver: string | undefined;
    readonly decision: Decision | undefined;
    readonly isolation: ToolIsolation;
  },
): RefusalData {
  return {
    approvalCode: refusal.code,
    ...(refusal.approver === undefined ? {} : { approver: text.clean(refusal.approver, ID_MAX_CHARS) }),
    ...(refusal.decision === undefined ? {} : { decision: decisionRecord(refusal.decision, text, refusal.isolation) }),
  };
}

/**
 * A (validated) decision as a record holds it: texts redacted and bounded, at most 64 matched rule ids, and
 * the tool's isolation judged against the decision's obligation. An unmet obligation that did not refuse the
 * call (a policy in monitor mode) marks the record `wouldDeny`.
 */
export function decisionRecord(decision: Decision, text: TextCleaner, isolation: ToolIsolation): DecisionData {
  const judged = judgeIsolation(decision, isolation);
  const wouldDeny = decision.wouldDeny ?? (isolationRefuses(judged, decision) || judged.met ? undefined : true);
  return {
    effect: decision.effect,
    ruleId: decision.ruleId === null ? null : text.clean(decision.ruleId, 256),
    reason: text.clean(decision.reason),
    matched: text.ids(decision.matched),
    mode: decision.mode,
    ...(wouldDeny === undefined ? {} : { wouldDeny }),
    ...isolationRecord(judged),
  };
}

/** @internal What a `call.requested` record is made of. */
export interface RequestedCall {
  readonly args: CallArgs;
  readonly view: EngineView;
  readonly envelope: unknown;
  readonly agent: string;
  readonly session: string;
  /** The call id the record is written under, and the call's data subject (for sealing). */
  readonly seal?: SealScope;
}

/**
 * @internal The `call.requested` record of a call: what a replay needs to decide it again exactly. A promise
 * only when the args are sealed (async); the usual call waits for nothing. May throw (redaction), as a
 * rejection would: callers handle both.
 */
export function requestRecord(
  ctx: GuardContext,
  tool: DecidedTool & { readonly sensitive: boolean; readonly batched: boolean },
  call: RequestedCall,
): CallRequestedData | Promise<CallRequestedData> {
  const recorded = tool.sensitive ? undefined : ctx.redactArgs(call.view, call.args.value, call.seal);
  if (recorded instanceof Promise) return recorded.then((args) => requestData(ctx, tool, call, args));
  return requestData(ctx, tool, call, recorded);
}

function requestData(
  ctx: GuardContext,
  tool: DecidedTool & { readonly batched: boolean },
  call: RequestedCall,
  recorded: RecordedArgs | undefined,
): CallRequestedData {
  const { args, view, envelope, agent } = call;
  // Built member by member (no spreads of differently shaped objects): this runs on every call.
  const data: { -readonly [K in keyof CallRequestedData]: CallRequestedData[K] } = { argsDigest: args.argsDigest };
  if (args.inputDigest !== args.argsDigest) data.inputDigest = args.inputDigest;
  if (recorded !== undefined) {
    if ('args' in recorded) data.args = recorded.args;
    if ('argsOmitted' in recorded) data.argsOmitted = recorded.argsOmitted;
    if (recorded.redactions !== undefined) data.redactions = recorded.redactions;
    if (recorded.sealed !== undefined) data.sealed = recorded.sealed;
  }
  // The envelope when the call has one; a batched record says so (only the log key vouches for it); else the
  // record's own signature, by the agent, is the call's authentication.
  if (envelope !== undefined) data.envelope = envelope;
  else if (tool.batched) data.signing = 'batched';
  data.policyHash = view.hash;
  // What the policy matches on besides the args, so a replay can decide the call again exactly.
  data.agentName = agent === ctx.self ? ctx.selfName : agent;
  // The session, so a profile learned from the log (sessionsFromAudit) sees sessions, not one run per agent.
  data.session = ctx.text.clean(call.session, ID_MAX_CHARS);
  data.tags = tool.tags;
  data.labels = tool.labels;
  const tier = toolTier(view.engine, tool);
  if (tier !== undefined) data.tier = tier;
  return data;
}
