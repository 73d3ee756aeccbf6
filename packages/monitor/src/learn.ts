import type { MonitorSession } from './call.js';
import { MonitorError } from './errors.js';
import { buildProfile, type Profile } from './profile.js';

/** What to do with sessions in the learning window that raised alerts. */
export type AlertDecision = 'refuse' | 'exclude' | 'include';

/** Options of {@link learnProfile}. */
export interface LearnOptions {
  /**
   * Ids of sessions in the window that raised alerts (from `monitor.alert` records, or a
   * replay through the current profile with `screenSessions`).
   * @default none
   */
  readonly alerted?: ReadonlySet<string>;
  /**
   * The explicit decision about alerted sessions: `refuse` throws, `exclude` learns without them,
   * `include` learns from them too (the poisoning risk, taken knowingly). Recorded in the profile.
   * @default 'refuse'
   */
  readonly onAlerts?: AlertDecision;
}

/**
 * Learns a profile from benign sessions. Only tools, arguments, order and side-effect flags are
 * used (what an audit log keeps), never results or labels.
 *
 * A window that contains alerts is a poisoning risk (an attacker who is flagged today must not be
 * learned as normal tomorrow), so it needs an explicit decision in `onAlerts`.
 *
 * @param sessions - the window to learn from.
 * @param options - see {@link LearnOptions}.
 * @returns an unsigned profile (sign it with `signProfile`).
 * @throws MonitorError `ERR_MONITOR_ALERTS_IN_WINDOW` when alerted sessions are present and `onAlerts` is `refuse`.
 * @example
 * ```ts
 * const profile = learnProfile(parseCorpus(trainText));
 * ```
 */
export function learnProfile(sessions: readonly MonitorSession[], options: LearnOptions = {}): Profile {
  if (!Array.isArray(sessions)) throw new TypeError(`"sessions" expected array, got ${typeof sessions}`);
  const decision = options.onAlerts ?? 'refuse';
  if (!['refuse', 'exclude', 'include'].includes(decision)) {
    throw new RangeError(`"onAlerts" expected refuse, exclude or include, got ${String(decision)}`);
  }
  const alerted = options.alerted ?? new Set<string>();
  const hit = sessions.filter((s) => alerted.has(s.id));
  if (hit.length > 0 && decision === 'refuse') {
    throw new MonitorError(
      'ERR_MONITOR_ALERTS_IN_WINDOW',
      `${hit.length} session(s) in the window raised alerts (first: ${hit[0]?.id}); decide with onAlerts: 'exclude' or 'include'`,
    );
  }
  const used = decision === 'exclude' ? sessions.filter((s) => !alerted.has(s.id)) : sessions;
  return buildProfile(used, {
    sessions: used.length,
    calls: used.reduce((n, s) => n + s.calls.length, 0),
    alerts: hit.length === 0 ? 'none' : decision === 'exclude' ? 'excluded' : 'included',
    alertSessions: hit.length,
  });
}
