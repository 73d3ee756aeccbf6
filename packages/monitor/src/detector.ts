import type { MonitorCall } from './call.js';
import {
  type AlertFeature,
  type DetectorOptions,
  type NormalisedDetectorOptions,
  normaliseDetectorOptions,
} from './detector-options.js';
import { type AgentProfile, argLength, type Profile, SESSION_START } from './profile.js';
import { scanJson } from './values.js';

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

interface CompiledTool {
  readonly sideEffect: boolean;
  readonly maxPerSession: number;
  readonly argLength: ReadonlyMap<string, number>;
}
interface CompiledAgent {
  readonly tools: ReadonlyMap<string, CompiledTool>;
  readonly transitions: ReadonlyMap<string, ReadonlySet<string>>;
  readonly values: ReadonlySet<string>;
  readonly toolList: string;
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
}

const NONE: Verdict = Object.freeze({ score: 0, flagged: false, alerts: Object.freeze([]) as readonly Alert[] });

function compile(agent: AgentProfile): CompiledAgent {
  const tools = new Map<string, CompiledTool>();
  for (const [name, t] of Object.entries(agent.tools)) {
    tools.set(name, {
      sideEffect: t.sideEffect,
      maxPerSession: t.maxPerSession,
      argLength: new Map(Object.entries(t.argLength)),
    });
  }
  const transitions = new Map<string, ReadonlySet<string>>();
  for (const [from, row] of Object.entries(agent.transitions)) transitions.set(from, new Set(Object.keys(row)));
  const values = new Set<string>();
  for (const [kind, list] of Object.entries(agent.values)) for (const v of list) values.add(`${kind}:${v}`);
  for (const [kind, list] of Object.entries(agent.environment)) for (const v of list) values.add(`${kind}:${v}`);
  const names = [...tools.keys()];
  const toolList = names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length} tools)` : names.join(', ');
  return { tools, transitions, values, toolList };
}

/**
 * Compiles a profile into an online detector. Each call is scored against its agent's profile
 * before it runs; every point of score comes with an {@link Alert} naming the feature, what the
 * profile expected and what was seen — there is no score without a reason.
 *
 * @param profile - a profile (from `learnProfile`, or `verifySignedProfile(...).profile`).
 * @param options - weights, threshold and bounds; see {@link DetectorOptions}.
 * @returns a {@link Detector}.
 * @throws RangeError on bad options.
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
  for (const [name, agent] of Object.entries(profile.agents)) agents.set(name, compile(agent));
  const sessions = new Map<string, SessionState>();

  function open(id: string, start: SessionStart): SessionState {
    const state: SessionState = {
      agent: start.agent,
      profile: agents.get(start.agent),
      prev: SESSION_START,
      counts: new Map(),
      grounded: new Set(),
      inText: new Map(),
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
        for (const key in call.args) {
          const max = tool.argLength.get(key) ?? 0;
          const len = argLength(call.args[key]);
          if (len > opts.sizeFloor && len > max * opts.sizeFactor) {
            raise('size.args', `/${key} at most ${Math.max(opts.sizeFloor, max * opts.sizeFactor)} long`, `${len}`);
          }
        }
      }
      if (call.sideEffect) {
        scanJson(call.args, (v) => {
          if (state.grounded.has(v.key) || p.values.has(v.key)) return;
          const from = state.inText.get(v.key);
          raise(
            'value.ungrounded',
            'a value named in the request, a structured field of an earlier result, or the profile',
            from === undefined
              ? `${v.key}, seen nowhere before`
              : `${v.key}, seen only inside text returned by ${from}`,
          );
        });
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
