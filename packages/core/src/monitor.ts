import type { MonitorAlertData } from '@agentguard/audit';
import type { MonitorVerdictView } from '@agentguard/policy';
import { ExpiringMap } from './bounded.js';
import { ID_MAX_CHARS, type TextCleaner, textOf } from './text.js';
import { runWithTimeout, stopKind } from './timeout.js';

/**
 * The runtime monitor hook. Core defines the smallest interface it needs and depends on no monitor: the
 * detector of `@agentguard/monitor` (`createDetector(profile)`) satisfies it as it is.
 */

/** A call as the monitor sees it: the run value (the schema's output), before the policy decides. */
export interface MonitoredCall {
  /** The agent's did:key (the guard's own, or the verified signer of an incoming envelope). */
  readonly agent: string;
  /** The call's session (`CallOptions.session`, or the guard's own). */
  readonly session: string;
  readonly tool: string;
  /** The run value: frozen plain JSON. */
  readonly args: Readonly<Record<string, unknown>>;
  /** Whether the tool changes state or sends data out (see {@link MonitorOptions.sideEffect}). */
  readonly sideEffect: boolean;
  /** When the call was made, in milliseconds since the epoch. */
  readonly at: number;
}

/** One piece of evidence: which feature fired, what the profile expected, what was seen. */
export interface MonitorAlert {
  readonly feature: string;
  readonly expected: string;
  readonly seen: string;
}

/** A monitor's verdict on one call. */
export interface MonitorVerdict {
  /** Sum of the weights of the features that fired; finite, at least 0. */
  readonly score: number;
  /** Whether the score reached the monitor's threshold. */
  readonly flagged: boolean;
  /** The evidence; every point of score names its reason. */
  readonly alerts: readonly MonitorAlert[];
}

/**
 * What a guard needs of a runtime monitor. `score` may answer synchronously (the detector of
 * `@agentguard/monitor` does, in microseconds) or with a promise (bounded by {@link MonitorOptions.timeoutMs}).
 */
export interface CallMonitor {
  /** Starts a session with the user's request (values it names count as grounded). Optional. */
  begin?(session: string, start: { readonly agent: string; readonly prompt?: string }): void;
  /** Scores a call before the policy decides. */
  score(call: MonitoredCall): MonitorVerdict | PromiseLike<MonitorVerdict>;
  /**
   * Feeds a call's result back once the tool returned. Optional; never allowed to affect the call. A flagged
   * verdict it returns (e.g. a result far larger than learned) is recorded after the call as a `monitor.alert`
   * of phase `result`.
   */
  observe?(call: MonitoredCall, result: unknown): MonitorVerdict | undefined;
  /** Forgets a session. Optional. */
  end?(session: string): void;
}

/** The `monitor` option of `createGuard`. */
export interface MonitorOptions {
  /** The monitor, e.g. `createDetector(verifySignedProfile(json, trust).profile)`. */
  readonly detector: CallMonitor;
  /**
   * The content hash of the profile the monitor uses (`verifySignedProfile(...).hash`), written into every
   * `monitor.alert` record so a reviewer knows which profile judged the call.
   * @default none (the field is left out)
   */
  readonly profileHash?: string;
  /**
   * Whether a tool has a side effect. Must agree with how the profile was learned.
   * @default a label `egress` or `side-effect`, or one starting with `writes` (as `sessionsFromAudit` reads logs)
   */
  readonly sideEffect?: (tool: {
    readonly name: string;
    readonly tags: readonly string[];
    readonly labels: readonly string[];
  }) => boolean;
  /**
   * Milliseconds an asynchronous `score` may take; past it the verdict is `failed`. A synchronous `score`
   * cannot be interrupted: it is the monitor's job to be bounded (the detector is).
   * @default 1_000
   */
  readonly timeoutMs?: number;
}

/** Most alerts a `monitor.alert` record holds (the count of the rest is recorded). */
export const MAX_RECORDED_ALERTS = 16;
/** Longest `expected` / `seen` text of a recorded alert, marker included. */
const EVIDENCE_MAX_CHARS = 512;
/** Most verdicts of `check()` kept for the run that follows. */
const MAX_KEPT = 10_000;

const defaultSideEffect = (tool: { readonly labels: readonly string[] }): boolean =>
  tool.labels.some((l) => l === 'egress' || l === 'side-effect' || l.startsWith('writes'));

/** @internal A verdict as the call pipeline uses it: the policy's view and the record to write, if any. */
export interface Scored {
  readonly view: MonitorVerdictView;
  /** The `monitor.alert` record's data, when the call was flagged or the monitor failed. */
  readonly record: MonitorAlertData | undefined;
}

/** @internal The monitor hook of one guard, its options checked once. */
export interface MonitorHook {
  sideEffect(tool: {
    readonly name: string;
    readonly tags: readonly string[];
    readonly labels: readonly string[];
  }): boolean;
  /** Scores a call; never throws, never rejects: a failing monitor gives a `failed` view. */
  score(call: MonitoredCall): Scored | Promise<Scored>;
  /** Feeds a result back; never throws. The record data of a flagged verdict about the result, if any. */
  observe(call: MonitoredCall, result: unknown): MonitorAlertData | undefined;
  begin(session: string, start: { readonly agent: string; readonly prompt?: string }): void;
  end(session: string): void;
  /**
   * Keeps a verdict `check()` obtained, for the run of the same call (so the monitor sees each call once);
   * `key` binds it to the agent, session and run value (`callKey`).
   */
  keep(callId: string, tool: string, key: string, scored: Scored): void;
  /** Takes the kept verdict of this call, tool and `callKey`, if any. */
  take(callId: string, tool: string, key: string): Scored | undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** @internal Checks the `monitor` option; TypeError / RangeError on misuse. */
export function checkMonitorOptions(value: unknown): void {
  if (value === undefined) return;
  const m = value as Partial<MonitorOptions> | null;
  if (typeof m !== 'object' || m === null) throw new TypeError('"monitor" expected an object { detector }');
  if (typeof m.detector?.score !== 'function') {
    throw new TypeError('"monitor.detector" expected a CallMonitor with a score() method (createDetector(profile))');
  }
  if (m.sideEffect !== undefined && typeof m.sideEffect !== 'function') {
    throw new TypeError('"monitor.sideEffect" expected a function');
  }
  if (
    m.profileHash !== undefined &&
    (typeof m.profileHash !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(m.profileHash))
  ) {
    throw new TypeError('"monitor.profileHash" expected 1-256 printable ASCII characters');
  }
  const t = m.timeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t <= 0 || t > 2_147_483_647)) {
    throw new RangeError(`"monitor.timeoutMs" expected a positive integer of milliseconds, got ${String(t)}`);
  }
}

/** @internal Builds the hook from checked options; texts in records go through the guard's cleaner. */
export function createMonitorHook(options: MonitorOptions, text: TextCleaner): MonitorHook {
  const { detector } = options;
  const sideEffect = options.sideEffect ?? defaultSideEffect;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const profile = options.profileHash === undefined ? {} : { profileHash: options.profileHash };

  const failed = (reason: string): Scored => {
    const clean = text.clean(reason);
    return { view: { status: 'failed', reason: clean }, record: { status: 'failed', reason: clean, ...profile } };
  };

  function judge(raw: unknown): Scored {
    // Read each field once; a verdict that is not exactly the expected shape is a failure, not a pass.
    let score: unknown;
    let flagged: unknown;
    let alerts: unknown;
    try {
      ({ score, flagged, alerts } = raw as MonitorVerdict);
    } catch (error) {
      return failed(`the monitor's verdict could not be read: ${textOf(error)}`);
    }
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || typeof flagged !== 'boolean') {
      return failed('the monitor returned something that is not a verdict');
    }
    if (!Array.isArray(alerts)) return failed('the monitor returned a verdict without alerts');
    const features: string[] = [];
    for (const a of alerts) {
      const f = (a as MonitorAlert | null)?.feature;
      if (typeof f !== 'string') return failed('the monitor returned an alert without a feature');
      if (!features.includes(f)) features.push(f);
    }
    const view: MonitorVerdictView = { status: 'scored', score, flagged, features };
    if (!flagged) return { view, record: undefined };
    const shown = (alerts as MonitorAlert[]).slice(0, MAX_RECORDED_ALERTS).map((a) => ({
      feature: text.clean(a.feature, ID_MAX_CHARS),
      expected: text.clean(a.expected, EVIDENCE_MAX_CHARS),
      seen: text.clean(a.seen, EVIDENCE_MAX_CHARS),
    }));
    const omitted = alerts.length - shown.length;
    return {
      view,
      record: { score, flagged, ...profile, alerts: shown, ...(omitted > 0 ? { alertsOmitted: omitted } : {}) },
    };
  }

  async function settle(pending: PromiseLike<MonitorVerdict>): Promise<Scored> {
    try {
      return judge(await runWithTimeout(() => Promise.resolve(pending), timeoutMs));
    } catch (error) {
      return failed(
        stopKind(error) === 'timeout'
          ? `the monitor gave no verdict within ${timeoutMs} ms`
          : `the monitor failed: ${textOf(error)}`,
      );
    }
  }

  const sideEffects = new WeakMap<object, boolean>();
  // Verdicts check() obtained, by call id (bounded: the oldest is dropped first).
  const kept = new ExpiringMap<string, { tool: string; key: string; scored: Scored }>(MAX_KEPT);

  return Object.freeze({
    keep(callId: string, tool: string, key: string, scored: Scored): void {
      kept.set(callId, { tool, key, scored }, Number.POSITIVE_INFINITY, 0);
    },
    take(callId: string, tool: string, key: string): Scored | undefined {
      const k = kept.get(callId, 0);
      if (k === undefined || k.tool !== tool || k.key !== key) return undefined;
      kept.delete(callId);
      return k.scored;
    },
    sideEffect(tool: { readonly name: string; readonly tags: readonly string[]; readonly labels: readonly string[] }) {
      // A tool's tags and labels are fixed when it is guarded: asked once per tool.
      let known = sideEffects.get(tool);
      if (known === undefined) {
        try {
          known = sideEffect(tool) === true;
        } catch {
          known = true; // unsure: treat as a side effect, the stricter reading
        }
        sideEffects.set(tool, known);
      }
      return known;
    },
    score(call: MonitoredCall): Scored | Promise<Scored> {
      let raw: unknown;
      try {
        raw = detector.score(call);
      } catch (error) {
        return failed(`the monitor failed: ${textOf(error)}`);
      }
      return isThenable(raw) ? settle(raw as PromiseLike<MonitorVerdict>) : judge(raw);
    },
    observe(call: MonitoredCall, result: unknown): MonitorAlertData | undefined {
      try {
        const r: unknown = detector.observe?.(call, result);
        if (isThenable(r)) {
          (r as Promise<unknown>).then(undefined, () => undefined);
          return undefined;
        }
        if (r === undefined || r === null) return undefined;
        // Only a well-formed flagged verdict is recorded; anything else about a result that ran is ignored.
        const scored = judge(r);
        return scored.view.status === 'scored' ? scored.record : undefined;
      } catch {
        // The call has run; what the monitor makes of its result cannot change its outcome.
        return undefined;
      }
    },
    begin(session: string, start: { readonly agent: string; readonly prompt?: string }): void {
      detector.begin?.(session, start);
    },
    end(session: string): void {
      detector.end?.(session);
    },
  });
}
