import { extend } from './extend.js';
import type { MonitorAlertData } from '@agentguard/audit';
import type { GuardContext } from './context.js';
import type { MonitoredCall, MonitorHook } from './monitor.js';

/** @internal What of a tool the monitor needs. */
export interface MonitoredTool {
  readonly name: string;
  readonly tags: readonly string[];
  readonly labels: readonly string[];
}

/**
 * @internal The call the monitor scores: the run value (arguments that are not an object are given as the
 * one argument named ''), the session, whether the tool has a side effect, and the time.
 */
export function monitoredCall(
  hook: MonitorHook,
  tool: MonitoredTool,
  agent: string,
  session: string,
  value: unknown,
): MonitoredCall {
  const args =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Readonly<Record<string, unknown>>)
      : { '': value };
  return { agent, session, tool: tool.name, args, sideEffect: hook.sideEffect(tool), at: Date.now() };
}

/** @internal Why a call of `agent` is refused while it is suspended (monitor suspension), or undefined. */
export function suspensionReason(
  ctx: GuardContext,
  agent: string,
): { readonly reason: string; readonly ruleId: string | null } | undefined {
  const s = ctx.suspension.of(agent);
  if (s === undefined) return undefined;
  return {
    reason: `agent suspended by the monitor policy (rule ${s.ruleId ?? 'default'}: ${s.reason}); an operator resumes it with resumeAgent`,
    ruleId: s.ruleId,
  };
}

/**
 * @internal Feeds a result to the monitor once the tool returned. What it flags about the result (a size far
 * outside the learned ones) is recorded as a `monitor.alert` of phase `result`; it cannot change this call's
 * outcome, so a record that cannot be written is dropped (the monitor counts it in the session's next call).
 */
export async function observeResult(
  hook: MonitorHook,
  call: MonitoredCall,
  result: unknown,
  record: (type: 'monitor.alert', data: MonitorAlertData) => Promise<void>,
): Promise<void> {
  const data = hook.observe(call, result);
  if (data === undefined) return;
  try {
    await record('monitor.alert', extend(data, { phase: 'result' as const }));
  } catch {
    // The call has run and its outcome is recorded; the alert is evidence, not a decision.
  }
}
