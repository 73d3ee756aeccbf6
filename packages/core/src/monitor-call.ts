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
