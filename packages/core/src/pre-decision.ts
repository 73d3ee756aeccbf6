import { extend } from './extend.js';
import type { RefusalData } from '@agentguard/audit';
import type { Decision } from '@agentguard/policy';
import type { GuardContext, GuardedToolDef } from './context.js';
import { type ControlHook, type ControlView, scopeCovers, statusRecord } from './control.js';
import type { EngineView } from './decision.js';
import type { GuardErrorCode } from './errors.js';
import { isolationReason, isolationRefuses, judgeIsolation, type ToolIsolation } from './isolation.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { textOf } from './text.js';

/**
 * The checks between knowing who calls and asking the policy, shared by `run` (call.ts) and `check`
 * (check.ts) so the two cannot disagree: the integrity gate (what runs must match its pins), then the
 * operator's control status (suspend, stale channel, quarantine). Either refuses the call, or hands back the
 * engine view that decides it (the guard's, or the read-only one of a quarantined agent).
 */

/** @internal The outcome of {@link preDecision}. */
export type Gated =
  | { readonly ok: true; readonly view: EngineView; readonly controlSeq: number | undefined }
  | {
      readonly ok: false;
      readonly code: GuardErrorCode;
      readonly reason: string;
      readonly data: RefusalData;
      /** The refusal cannot be recorded (the log failed on the way). */
      readonly unaudited: boolean;
    };

const refused = (code: GuardErrorCode, reason: string, data: RefusalData = {}, unaudited = false): Gated => ({
  ok: false,
  code,
  reason,
  data,
  unaudited,
});

/** Writes of `control.status` records in flight, per guard hook: concurrent calls adopt a status once. */
const adopting = new WeakMap<ControlHook, Map<number, Promise<void>>>();

/**
 * Records the adoption of a status this guard has not recorded yet, and drops the approvals parked for
 * the agents it quarantines. Rejects when the record cannot be written (the call is then refused).
 */
function adopt(ctx: GuardContext, hook: ControlHook, status: ControlView): Promise<void> {
  let inFlight = adopting.get(hook);
  if (inFlight === undefined) {
    inFlight = new Map();
    adopting.set(hook, inFlight);
  }
  const existing = inFlight.get(status.seq);
  if (existing !== undefined) return existing;
  const previous = hook.adopted();
  const quarantines = status.measures.filter((m) => m.kind === 'quarantine');
  const dropped =
    quarantines.length === 0
      ? 0
      : ctx.gate.drop((agent, tool) =>
          // A parked call's tags are not kept: a tag scope drops every parked call (the stricter reading).
          quarantines.some((m) =>
            m.scope.kind === 'tag'
              ? true
              : scopeCovers(m.scope, agent, { name: tool, tags: [], labels: [], sensitive: false }),
          ),
        );
  const write = ctx.audit
    .append(
      {
        type: 'control.status',
        callId: `control:${status.seq}:${crypto.randomUUID()}`,
        agent: ctx.self,
        tool: '*',
        data: { ...statusRecord(status, previous, dropped) },
      },
      ctx.identity,
    )
    .then(
      () => {
        hook.markAdopted(status.seq);
        inFlight.delete(status.seq);
      },
      (error: unknown) => {
        inFlight.delete(status.seq);
        throw error;
      },
    );
  inFlight.set(status.seq, write);
  return write;
}

/** @internal Runs the pre-decision checks for a call of `agent` to `tool` (see the module comment). */
export async function preDecision<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  agent: string,
  view: EngineView,
): Promise<Gated> {
  // Integrity: a changed tool definition or policy is refused before anything else is asked.
  if (ctx.attestor !== undefined) {
    let changed: string | undefined;
    try {
      changed = await ctx.attestor.gate(tool);
    } catch (error) {
      return refused('ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${textOf(error)}`, {}, true);
    }
    if (changed !== undefined) return refused('ERR_GUARD_ATTESTATION_CHANGED', changed);
  }
  const hook = ctx.control;
  if (hook === undefined) return { ok: true, view, controlSeq: undefined };

  const { status, fresh, why, invalid } = hook.read();
  if (invalid === true) return refused('ERR_GUARD_CONTROL_STALE', why);
  // The agent's own key never speaks for the operator (the source should have refused it already): a status
  // it signed is no status, and nothing it says is applied; every call is refused until a real one arrives.
  if (status !== undefined && (status.issuer === ctx.self || status.issuer === agent)) {
    return refused('ERR_GUARD_CONTROL_STALE', 'control status signed by the agent itself: refused');
  }
  if (status !== undefined) {
    const last = hook.adopted();
    if (last === undefined || status.seq > last) {
      try {
        await adopt(ctx, hook, status);
      } catch (error) {
        return refused('ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${textOf(error)}`, {}, true);
      }
    }
    // A measure applies as long as its status is the last verified one, fresh or not: a channel that goes
    // quiet never lifts a suspension.
    let measures: typeof status.measures;
    try {
      measures = status.measures.filter((m) => scopeCovers(m.scope, agent, tool));
    } catch {
      return refused('ERR_GUARD_SUSPENDED', 'the control status could not be read', { controlSeq: status.seq });
    }
    const suspend = measures.find((m) => m.kind === 'suspend');
    if (suspend !== undefined) {
      const because = suspend.reason === undefined ? '' : `: ${ctx.text.clean(suspend.reason)}`;
      return refused('ERR_GUARD_SUSPENDED', `suspended by operator (control status ${status.seq})${because}`, {
        controlSeq: status.seq,
      });
    }
    if (!fresh && hook.highRisk(tool)) {
      return refused('ERR_GUARD_CONTROL_STALE', `high-risk tool refused: ${why}`, { controlSeq: status.seq });
    }
    if (measures.some((m) => m.kind === 'quarantine')) {
      // The read-only engine decides; the fields the guard's policy redacts stay redacted in the records.
      const redactFields = Object.freeze([...new Set([...view.redactFields, ...hook.quarantine.redactFields])]);
      return { ok: true, view: extend(hook.quarantine, { redactFields }), controlSeq: status.seq };
    }
    return { ok: true, view, controlSeq: status.seq };
  }
  if (hook.highRisk(tool)) return refused('ERR_GUARD_CONTROL_STALE', `high-risk tool refused: ${why}`);
  return { ok: true, view, controlSeq: undefined };
}

/**
 * @internal Why a decision cannot run with the tool's isolation (the policy's `isolation` obligation against
 * what the tool really runs with), or undefined. A deny or a monitoring policy refuses nothing here.
 */
export function isolationRefusal(decision: Decision, isolation: ToolIsolation): string | undefined {
  if (decision.effect === 'deny') return undefined;
  const judged = judgeIsolation(decision, isolation);
  return isolationRefuses(judged, decision) ? isolationReason(judged, decision.ruleId) : undefined;
}
