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
import { type FoundValue, SCAN_LIMITS, scanJson } from './values.js';

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
  /**
   * Feeds a call's result back once it has run, so later calls can be checked against it. A result far larger
   * than the tool's learned sizes cannot be scored before the call: it is returned as a verdict of its own (the
   * guard records it after the call) and counts in the session's next call. Never throws.
   */
  observe(call: DetectorCall, result: unknown): Verdict | undefined;
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
  /** Alerts about results, raised after their call ran, counted in the session's next call. */
  pending: Alert[] | undefined;
}

const EMPTY: ReadonlySet<string> = new Set();
const POINTERS = Object.freeze({ pointers: true });
const NONE: Verdict = Object.freeze({ score: 0, flagged: false, alerts: Object.freeze([]) as readonly Alert[] });

/**
 * The verdict of one call while it is built. Checks are module-level functions that take it (no closure is
 * made per call: scoring runs before every guarded call), and the alert list is made only when one fires.
 */
interface Tally {
  readonly weights: Readonly<Record<AlertFeature, number>>;
  readonly state: SessionState;
  readonly values: ReadonlySet<string>;
  /** The called tool's stable argument fields, while the pointer check runs. */
  fields: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  alerts: Alert[] | undefined;
  total: number;
  /** Values already reported in this call: one alert per value, however often the args repeat it. */
  reported: Set<string> | undefined;
}

function raise(t: Tally, feature: AlertFeature, expected: string, seen: string): void {
  const weight = t.weights[feature];
  if (weight === 0) return; // off
  t.alerts ??= [];
  t.alerts.push({ feature, expected, seen });
  t.total += weight;
}

// A value in a side-effect call's args is grounded when the request named it, an earlier result returned it
// as a field of its own, or the profile knows it.
function checkValue(v: FoundValue, t: Tally): void {
  const key = v.key;
  if (t.state.grounded.has(key) || t.values.has(key) || t.reported?.has(key) === true) return;
  t.reported ??= new Set();
  t.reported.add(key);
  const from = t.state.inText.get(key);
  raise(
    t,
    'value.ungrounded',
    'a value named in the request, a structured field of an earlier result, or the profile',
    from === undefined ? `${key}, seen nowhere before` : `${key}, seen only inside text returned by ${from}`,
  );
}

// A whole value at an argument field whose values formed a stable set must be one of that set, unless the
// request or an earlier result named it.
function checkPointer(v: FoundValue, t: Tally): void {
  const pointer = v.pointer;
  if (pointer === undefined) return;
  const known = t.fields?.get(pointer);
  if (known === undefined || known.has(v.key) || t.state.grounded.has(v.key)) return;
  raise(t, 'value.pointer', `at ${pointer || '/'} one of ${shortList([...known], 4)}`, `${v.key} at ${pointer || '/'}`);
}

// One pass over a side-effect call's arguments: each value's origin, and its field's stable set when known.
function checkArg(v: FoundValue, t: Tally): void {
  checkValue(v, t);
  if (t.fields !== undefined) checkPointer(v, t);
}

/**
 * Most values one session remembers as grounded, and as seen in result text. Results can carry what an attacker
 * wrote (a fetched page), so memory stays bounded: past the bound the oldest value is forgotten, so a value named
 * long ago may be flagged again (the stricter side), never one that was never named.
 */
const MAX_SESSION_VALUES = 10_000;

function ground(state: SessionState, key: string): void {
  if (state.grounded.has(key)) return;
  if (state.grounded.size >= MAX_SESSION_VALUES) state.grounded.delete(state.grounded.values().next().value as string);
  state.grounded.add(key);
}

function groundValue(v: FoundValue, state: SessionState): void {
  ground(state, v.key);
}

function noteResultValue(v: FoundValue, o: { readonly state: SessionState; readonly tool: string }): void {
  if (v.whole) ground(o.state, v.key);
  else if (!o.state.inText.has(v.key)) {
    if (o.state.inText.size >= MAX_SESSION_VALUES) o.state.inText.delete(o.state.inText.keys().next().value as string);
    o.state.inText.set(v.key, o.tool);
  }
}

// Read private data -> egress: every read tool called earlier in this session must have been seen
// before this side-effect tool in some learned session. Silent when the profile has no flows (one
// learned without side-effect calls).
function flowCheck(p: CompiledAgent, t: Tally, sink: string): void {
  const state = t.state;
  if (p.flows.size === 0 || state.reads.size === 0) return;
  const known = p.flows.get(sink);
  const unseen: string[] = [];
  for (const r of state.reads) if (!(known?.has(r) ?? false)) unseen.push(r);
  if (unseen.length === 0) return;
  raise(
    t,
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
  for (const [name, agent] of Object.entries(parseProfile(profile).agents)) {
    agents.set(name, compileAgent(agent, opts.pointerMinSeen));
  }
  const rates = createRateTracker();

  // Argument sizes against the longest seen, per top-level name; at most SCAN_LIMITS.nodes names
  // are looked at (args that are not an object count as one argument named '').
  function sizeChecks(lengths: ReadonlyMap<string, number>, args: unknown, t: Tally): void {
    const record = args !== null && typeof args === 'object' && !Array.isArray(args);
    const entries = record ? (args as Record<string, unknown>) : { '': args };
    let seen = 0;
    for (const key in entries) {
      if (!Object.hasOwn(entries, key)) continue;
      if (++seen > SCAN_LIMITS.nodes) break;
      const bound = Math.max(opts.sizeFloor, (lengths.get(key) ?? 0) * opts.sizeFactor);
      const len = argLength(entries[key], SCAN_LIMITS.totalChars);
      if (len > bound) {
        raise(t, 'size.args', `/${key} at most ${bound} long`, len >= SCAN_LIMITS.totalChars ? `${len}+` : `${len}`);
      }
    }
  }

  function timeChecks(p: CompiledAgent, perWindow: number | undefined, call: DetectorCall, t: Tally): void {
    const at = call.at as number;
    if (!Number.isFinite(at)) return;
    if (w['time.unusual'] > 0) {
      const hour = new Date(at).getUTCHours();
      if ((p.hours[hour] ?? 0) === 0) {
        const seen = p.hours.flatMap((n, h) => (n > 0 ? [h] : []));
        raise(t, 'time.unusual', `calls in UTC hours ${shortList(seen.map(String), 24)}`, `a call at ${hour}:00 UTC`);
      }
    }
    if (w['rate.window'] > 0 && perWindow !== undefined) {
      const limit = perWindow * opts.burstFactor;
      const n = rates.hit(call.agent, call.tool, at, p.windowMs, limit);
      if (n > limit)
        raise(t, 'rate.window', `at most ${limit} calls of ${call.tool} in ${p.windowMs / 1000} s`, `${n} calls`);
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
      pending: undefined,
    };
    if (typeof start.prompt === 'string') scanJson(start.prompt, groundValue, state);
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
    const t: Tally = {
      weights: w,
      state,
      values: p?.values ?? EMPTY,
      fields: undefined,
      alerts: undefined,
      total: 0,
      reported: undefined,
    };
    const prev = state.prev;
    state.prev = call.tool;
    const n = (state.counts.get(call.tool) ?? 0) + 1;
    state.counts.set(call.tool, n);
    if (state.pending !== undefined) {
      for (const a of state.pending) raise(t, a.feature, a.expected, a.seen);
      state.pending = undefined;
    }
    if (p === undefined) {
      raise(t, 'agent.unknown', 'an agent the profile covers', `agent ${call.agent}`);
    } else {
      const tool = p.tools.get(call.tool);
      if (tool === undefined) {
        raise(t, 'tool.unknown', `one of ${p.toolList}`, `tool ${call.tool}`);
      } else {
        if (!(p.transitions.get(prev)?.has(call.tool) ?? false)) {
          raise(t, 'transition.unknown', `a transition seen from ${prev}`, `${prev} -> ${call.tool}`);
        }
        if (n > tool.maxPerSession * opts.burstFactor) {
          raise(t, 'rate.burst', `at most ${tool.maxPerSession * opts.burstFactor} calls per session`, `call ${n}`);
        }
        sizeChecks(tool.argLength, call.args, t);
        if (tool.pointers.size > 0 && w['value.pointer'] > 0) t.fields = tool.pointers;
        if (call.at !== undefined && p.timed >= opts.minTimedCalls) timeChecks(p, tool.perWindow, call, t);
      }
      if (call.sideEffect) {
        if (w['flow.unknown'] > 0) flowCheck(p, t, call.tool);
        if (!scanJson(call.args, checkArg, t, t.fields === undefined ? undefined : POINTERS)) {
          raise(
            t,
            'args.unscanned',
            `arguments within ${SCAN_LIMITS.totalChars} characters, ${SCAN_LIMITS.nodes} nodes, depth ${SCAN_LIMITS.depth}`,
            'arguments too large or deep to check every value',
          );
        }
      } else {
        state.reads.add(call.tool);
        if (t.fields !== undefined) scanJson(call.args, checkPointer, t, POINTERS);
      }
    }
    if (t.alerts === undefined) return NONE;
    return { score: t.total, flagged: t.total >= opts.threshold, alerts: t.alerts };
  }

  function observe(call: DetectorCall, result: unknown): Verdict | undefined {
    const state = stateOf(call);
    scanJson(result, noteResultValue, { state, tool: call.tool });
    const max = state.profile?.tools.get(call.tool)?.resultMax;
    if (max === undefined || w['size.result'] === 0) return undefined;
    const bound = Math.max(opts.sizeFloor, max * opts.sizeFactor);
    // Counted no further than past the bound: a huge result costs no more than a large one.
    const size = argLength(result, bound + 1);
    if (size <= bound) return undefined;
    const alert: Alert = {
      feature: 'size.result',
      expected: `a result of ${call.tool} at most ${bound} long (largest learned: ${max})`,
      seen: `a result more than ${bound} long`,
    };
    state.pending = [...(state.pending ?? []), alert].slice(-8);
    const score = w['size.result'];
    return { score, flagged: score >= opts.threshold, alerts: [alert] };
  }

  return Object.freeze({
    begin: (id: string, start: SessionStart) => void open(id, start),
    score,
    observe,
    end: (id: string) => void sessions.delete(id),
    options: opts,
  });
}
