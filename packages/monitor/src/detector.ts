import type { MonitorCall } from './call.js';
import {
  type AlertFeature,
  type DetectorOptions,
  type NormalisedDetectorOptions,
  normaliseDetectorOptions,
} from './detector-options.js';
import { argLength } from './build.js';
import { type CompiledAgent, compileAgent, shortList } from './compiled.js';
import { parseProfile, type Profile, SESSION_START } from './profile.js';
import { createRateTracker } from './rate.js';
import { SCAN_LIMITS, scanJson } from './values.js';

/** The evidence for one alert: which feature fired, what the profile expected, what was seen. */
export interface Alert {
  readonly feature: AlertFeature;
  readonly expected: string;
  readonly seen: string;
}

/** A call's verdict: its score, whether it reaches the threshold, and the alerts that make it up. */
export interface Verdict {
  readonly score: number;
  readonly flagged: boolean;
  readonly alerts: readonly Alert[];
}

/** A call to score: a {@link MonitorCall} with the agent and session it belongs to. */
export interface DetectorCall extends MonitorCall {
  readonly agent: string;
  /** The session id; calls without one share the agent's `default` session. @default `${agent}` */
  readonly session?: string;
}

/** What a session starts with. */
export interface SessionStart {
  readonly agent: string;
  /** The user's request: values it names (addresses, IBANs, hosts) count as grounded. */
  readonly prompt?: string;
}

/** The online detector: pure (no I/O, no clock, no randomness), synchronous, bounded memory. */
export interface Detector {
  /** Starts (or restarts) a session; optional — a call for an unknown session starts one without a prompt. */
  begin(session: string, start: SessionStart): void;
  /** Scores a call before it runs and moves the session on; never throws on odd input. */
  score(call: DetectorCall): Verdict;
  /** Feeds a call's result back once it has run, so later calls can be checked against it. */
  observe(call: DetectorCall, result: unknown): void;
  /** Forgets a session. */
  end(session: string): void;
  /** The options in force. */
  readonly options: NormalisedDetectorOptions;
}

interface SessionState {
  readonly agent: string;
  readonly profile: CompiledAgent | undefined;
  prev: string;
  readonly counts: Map<string, number>;
  /** Values named by the request or as a whole structured field of an earlier result. */
  readonly grounded: Set<string>;
  /** Values seen only inside free text of an earlier result, with the tool that returned it. */
  readonly inText: Map<string, string>;
  /** Read (no side effect) tools called so far, for data-flow checks. */
  readonly reads: Set<string>;
}

const NONE: Verdict = Object.freeze({ score: 0, flagged: false, alerts: Object.freeze([]) as readonly Alert[] });

type Raise = (feature: AlertFeature, expected: string, seen: string) => void;

// Read private data -> egress: every read tool called earlier in this session must have been seen
// before this side-effect tool in some learned session. Silent when the profile has no flows (one
// learned without side-effect calls).
function flowCheck(p: CompiledAgent, state: SessionState, sink: string, raise: Raise): void {
  if (p.flows.size === 0 || state.reads.size === 0) return;
  const known = p.flows.get(sink);
  const unseen: string[] = [];
  for (const r of state.reads) if (!(known?.has(r) ?? false)) unseen.push(r);
  if (unseen.length === 0) return;
  raise(
    'flow.unknown',
    known === undefined || known.size === 0
      ? `no read before ${sink}`
      : `reads seen before ${sink}: ${shortList([...known])}`,
    `${shortList(unseen)} -> ${sink}`,
  );
}

/**
 * Compiles a profile into an online detector. Each call is scored against its agent's profile
 * before it runs; every point of score comes with an {@link Alert} naming the feature, what the
 * profile expected and what was seen — there is no score without a reason.
 *
 * @param profile - a profile (from `learnProfile`, or `verifySignedProfile(...).profile`).
 * @param options - weights, threshold and bounds; see {@link DetectorOptions}.
 * @returns a {@link Detector}.
 * @throws MonitorError `ERR_MONITOR_PROFILE_INVALID` when `profile` is not a profile; RangeError on bad options.
 * @example
 * ```ts
 * const detector = createDetector(profile);
 * detector.begin('s1', { agent: 'banking', prompt: 'Pay the bill in bill.txt' });
 * const verdict = detector.score({ agent: 'banking', session: 's1', tool: 'send_money', args, sideEffect: true });
 * if (verdict.flagged) for (const a of verdict.alerts) console.log(a.feature, a.expected, a.seen);
 * ```
 */
export function createDetector(profile: Profile, options: DetectorOptions = {}): Detector {
  const opts = normaliseDetectorOptions(options);
  const w = opts.weights;
  const agents = new Map<string, CompiledAgent>();
  for (const [name, agent] of Object.entries(parseProfile(profile).agents)) agents.set(name, compileAgent(agent));
  const rates = createRateTracker();

  // Argument sizes against the longest seen, per top-level name; at most SCAN_LIMITS.nodes names
  // are looked at (args that are not an object count as one argument named '').
  function sizeChecks(lengths: ReadonlyMap<string, number>, args: unknown, raise: Raise): void {
    const record = args !== null && typeof args === 'object' && !Array.isArray(args);
    const entries = record ? (args as Record<string, unknown>) : { '': args };
    let seen = 0;
    for (const key in entries) {
      if (!Object.hasOwn(entries, key)) continue;
      if (++seen > SCAN_LIMITS.nodes) break;
      const bound = Math.max(opts.sizeFloor, (lengths.get(key) ?? 0) * opts.sizeFactor);
      const len = argLength(entries[key], SCAN_LIMITS.totalChars);
      if (len > bound) {
        raise('size.args', `/${key} at most ${bound} long`, len >= SCAN_LIMITS.totalChars ? `${len}+` : `${len}`);
      }
    }
  }

  function timeChecks(p: CompiledAgent, perWindow: number | undefined, call: DetectorCall, raise: Raise): void {
    const at = call.at as number;
    if (!Number.isFinite(at)) return;
    if (w['time.unusual'] > 0) {
      const hour = new Date(at).getUTCHours();
      if ((p.hours[hour] ?? 0) === 0) {
        const seen = p.hours.flatMap((n, h) => (n > 0 ? [h] : []));
        raise('time.unusual', `calls in UTC hours ${shortList(seen.map(String), 24)}`, `a call at ${hour}:00 UTC`);
      }
    }
    if (w['rate.window'] > 0 && perWindow !== undefined) {
      const limit = perWindow * opts.burstFactor;
      const n = rates.hit(call.agent, call.tool, at, p.windowMs, limit);
      if (n > limit)
        raise('rate.window', `at most ${limit} calls of ${call.tool} in ${p.windowMs / 1000} s`, `${n} calls`);
    }
  }
  const sessions = new Map<string, SessionState>();

  function open(id: string, start: SessionStart): SessionState {
    const state: SessionState = {
      agent: start.agent,
      profile: agents.get(start.agent),
      prev: SESSION_START,
      counts: new Map(),
      grounded: new Set(),
      inText: new Map(),
      reads: new Set(),
    };
    if (typeof start.prompt === 'string') scanJson(start.prompt, (v) => state.grounded.add(v.key));
    sessions.delete(id);
    sessions.set(id, state);
    if (sessions.size > opts.maxSessions) {
      const oldest = sessions.keys().next().value;
      if (oldest !== undefined) sessions.delete(oldest);
    }
    return state;
  }
  function stateOf(call: DetectorCall): SessionState {
    const id = call.session ?? call.agent;
    const state = sessions.get(id);
    if (state !== undefined && state.agent === call.agent) return state;
    return open(id, { agent: call.agent });
  }

  function score(call: DetectorCall): Verdict {
    const state = stateOf(call);
    const p = state.profile;
    let alerts: Alert[] | undefined;
    let total = 0;
    const raise = (feature: AlertFeature, expected: string, seen: string) => {
      if (w[feature] === 0) return; // off
      alerts ??= [];
      alerts.push({ feature, expected, seen });
      total += w[feature];
    };
    const prev = state.prev;
    state.prev = call.tool;
    const n = (state.counts.get(call.tool) ?? 0) + 1;
    state.counts.set(call.tool, n);
    if (p === undefined) {
      raise('agent.unknown', 'an agent the profile covers', `agent ${call.agent}`);
    } else {
      const tool = p.tools.get(call.tool);
      if (tool === undefined) {
        raise('tool.unknown', `one of ${p.toolList}`, `tool ${call.tool}`);
      } else {
        if (!(p.transitions.get(prev)?.has(call.tool) ?? false)) {
          raise('transition.unknown', `a transition seen from ${prev}`, `${prev} -> ${call.tool}`);
        }
        if (n > tool.maxPerSession * opts.burstFactor) {
          raise('rate.burst', `at most ${tool.maxPerSession * opts.burstFactor} calls per session`, `call ${n}`);
        }
        sizeChecks(tool.argLength, call.args, raise);
        if (call.at !== undefined && p.timed >= opts.minTimedCalls) timeChecks(p, tool.perWindow, call, raise);
      }
      if (call.sideEffect) {
        if (w['flow.unknown'] > 0) flowCheck(p, state, call.tool, raise);
        const reported = new Set<string>(); // one alert per value, however often the args repeat it
        const complete = scanJson(call.args, (v) => {
          if (state.grounded.has(v.key) || p.values.has(v.key) || reported.has(v.key)) return;
          reported.add(v.key);
          const from = state.inText.get(v.key);
          raise(
            'value.ungrounded',
            'a value named in the request, a structured field of an earlier result, or the profile',
            from === undefined
              ? `${v.key}, seen nowhere before`
              : `${v.key}, seen only inside text returned by ${from}`,
          );
        });
        if (!complete) {
          raise(
            'args.unscanned',
            `arguments within ${SCAN_LIMITS.totalChars} characters, ${SCAN_LIMITS.nodes} nodes, depth ${SCAN_LIMITS.depth}`,
            'arguments too large or deep to check every value',
          );
        }
      } else {
        state.reads.add(call.tool);
      }
    }
    if (alerts === undefined) return NONE;
    return { score: total, flagged: total >= opts.threshold, alerts };
  }

  function observe(call: DetectorCall, result: unknown): void {
    const state = stateOf(call);
    scanJson(result, (v) => {
      if (v.whole) state.grounded.add(v.key);
      else if (!state.inText.has(v.key)) state.inText.set(v.key, call.tool);
    });
  }

  return Object.freeze({
    begin: (id: string, start: SessionStart) => void open(id, start),
    score,
    observe,
    end: (id: string) => void sessions.delete(id),
    options: opts,
  });
}
