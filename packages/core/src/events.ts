import type { Decision } from '@agentguard/policy';
import { EventEmitter } from 'eventemitter3';
import type { Denial } from './errors.js';

/** What every guard event says about the call. */
export interface CallEvent {
  readonly callId: string;
  readonly tool: string;
  readonly agent: string;
}

/** The typed events a guard emits. Listeners are observers: an error they throw is ignored. */
export interface GuardEvents {
  /** The policy allowed the call; the tool is about to run. */
  allowed: [CallEvent & { readonly decision: Decision }];
  /** The call was refused before the tool ran (policy, invalid args, envelope, audit). */
  denied: [CallEvent & { readonly denial: Denial }];
  /** The tool returned and the outcome is in the audit log. */
  completed: [CallEvent & { readonly durationMs: number }];
  /** The tool threw or timed out, or its outcome could not be audited. */
  failed: [CallEvent & { readonly denial: Denial; readonly durationMs: number }];
}

/**
 * Emits `call`'s event with `fields`, without letting a listener's error reach the decision path. The payload is
 * made only when someone listens (most guards have no listener, and every call emits).
 *
 * The payload starts with the call's members, not with a spread (see extend.ts and docs/contributing.md).
 */
export function emitSafely<K extends keyof GuardEvents>(
  emitter: EventEmitter<GuardEvents>,
  event: K,
  call: CallEvent,
  fields: Omit<GuardEvents[K][0], keyof CallEvent>,
): void {
  try {
    if (emitter.listenerCount(event) === 0) return;
    const payload = { callId: call.callId, tool: call.tool, agent: call.agent, ...fields } as GuardEvents[K][0];
    (emitter.emit as (e: K, ...a: GuardEvents[K]) => boolean)(event, ...([payload] as GuardEvents[K]));
  } catch {
    // Observers must not change a decision or an outcome.
  }
}

export { EventEmitter };
