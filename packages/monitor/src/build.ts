import { isToolName } from '@agentguard/statement';
import type { MonitorSession, ObservedCall } from './call.js';
import { MonitorError } from './errors.js';
import {
  type AgentProfile,
  MAX_POINTER_VALUES,
  MAX_POINTERS,
  type PointerStats,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type Profile,
  RATE_WINDOW_MS,
  SESSION_START,
} from './profile.js';
import { type FoundValue, scanJson, SCAN_LIMITS, VALUE_KINDS } from './values.js';

/**
 * How long a top-level argument is, as the detector measures it: characters of strings plus one per
 * other leaf and per member, walked no deeper than `SCAN_LIMITS.depth` and counted no further than
 * `cap` (the caller only compares it with a bound).
 */
export function argLength(value: unknown, cap = 1 << 30, depth: number = SCAN_LIMITS.depth): number {
  if (typeof value === 'string') return Math.min(value.length, cap);
  if (value === null || typeof value !== 'object') return 1;
  if (depth <= 0) return cap;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      n += argLength(item, cap - n, depth - 1) + 1;
      if (n >= cap) return cap;
    }
    return n;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    n += argLength((value as Record<string, unknown>)[key], cap - n, depth - 1) + 1;
    if (n >= cap) return cap;
  }
  return n;
}

type Tally = {
  count: number;
  sessions: number;
  sideEffect: boolean;
  max: number;
  len: Map<string, number>;
  /** Pointer to calls that held a whole value there and the distinct values (null once past the bound). */
  pointers: Map<string, { seen: number; values: Set<string> | null }>;
  /** Result sizes seen. */
  results: number[];
};
interface AgentAcc {
  sessions: number;
  calls: number;
  tools: Map<string, Tally>;
  transitions: Map<string, Map<string, number>>;
  values: Map<string, Set<string>>;
  environment: Map<string, Set<string>>;
  flows: Map<string, Set<string>>;
  hours: number[];
  times: Map<string, number[]>;
}

function addTo<K, V>(m: Map<K, Set<V>>, key: K, value: V): void {
  let set = m.get(key);
  if (set === undefined) {
    set = new Set();
    m.set(key, set);
  }
  set.add(value);
}

/** Adds a found value, without its kind prefix, to the set of its kind. */
function addValue(v: FoundValue, to: Map<string, Set<string>>): void {
  addTo(to, v.kind, v.key.slice(v.kind.length + 1));
}

/** Largest result size measured; a result at least this large counts as this. */
export const RESULT_SIZE_CAP = 1 << 24;

/** Collects the whole values of one call's arguments by pointer. */
function addPointer(v: FoundValue, to: Map<string, Set<string>>): void {
  if (v.pointer !== undefined) addTo(to, v.pointer, v.key);
}

function notePointer(tool: Tally, pointer: string, keys: ReadonlySet<string>): void {
  let p = tool.pointers.get(pointer);
  if (p === undefined) {
    if (tool.pointers.size >= MAX_POINTERS) return;
    p = { seen: 0, values: new Set() };
    tool.pointers.set(pointer, p);
  }
  p.seen++;
  if (p.values === null) return;
  for (const k of keys) p.values.add(k);
  if (p.values.size > MAX_POINTER_VALUES) p.values = null;
}

/** The value at quantile `q` of sorted sizes (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

function newAgent(): AgentAcc {
  return {
    sessions: 0,
    calls: 0,
    tools: new Map(),
    transitions: new Map(),
    values: new Map(),
    environment: new Map(),
    flows: new Map(),
    hours: Array.from({ length: 24 }, () => 0),
    times: new Map(),
  };
}

function learnCall(acc: AgentAcc, call: ObservedCall, n: number, prev: string, reads: ReadonlySet<string>): void {
  acc.calls++;
  let tool = acc.tools.get(call.tool);
  if (tool === undefined) {
    tool = {
      count: 0,
      sessions: 0,
      sideEffect: call.sideEffect,
      max: 0,
      len: new Map(),
      pointers: new Map(),
      results: [],
    };
    acc.tools.set(call.tool, tool);
  }
  tool.count++;
  tool.sideEffect ||= call.sideEffect;
  if (n === 1) tool.sessions++;
  tool.max = Math.max(tool.max, n);
  for (const [key, value] of Object.entries(call.args)) {
    tool.len.set(key, Math.max(tool.len.get(key) ?? 0, argLength(value)));
  }
  let row = acc.transitions.get(prev);
  if (row === undefined) {
    row = new Map();
    acc.transitions.set(prev, row);
  }
  row.set(call.tool, (row.get(call.tool) ?? 0) + 1);
  if (call.sideEffect) {
    if (!acc.flows.has(call.tool)) acc.flows.set(call.tool, new Set());
    for (const r of reads) addTo(acc.flows, call.tool, r);
  }
  scanJson(call.args, addValue, acc.values);
  const fields = new Map<string, Set<string>>();
  scanJson(call.args, addPointer, fields, { pointers: true });
  for (const [pointer, keys] of fields) notePointer(tool, pointer, keys);
  if (call.result !== null && call.result !== undefined) {
    scanJson(call.result, addValue, acc.environment);
    tool.results.push(argLength(call.result, RESULT_SIZE_CAP));
  }
  if (call.at !== undefined && Number.isFinite(call.at)) {
    const hour = new Date(call.at).getUTCHours();
    acc.hours[hour] = (acc.hours[hour] ?? 0) + 1;
    const list = acc.times.get(call.tool);
    if (list === undefined) acc.times.set(call.tool, [call.at]);
    else list.push(call.at);
  }
}

/** Most timestamps of one list inside any window of `windowMs` (two pointers over the sorted list). */
function mostInWindow(times: number[], windowMs: number): number {
  times.sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] as number) - (times[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

function sizes(list: number[]): { count: number; p50: number; p95: number; max: number } {
  const sorted = [...list].sort((a, b) => a - b);
  return { count: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: quantile(sorted, 1) };
}

const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function finish(acc: AgentAcc): AgentProfile {
  const kinds = (m: Map<string, Set<string>>) =>
    Object.fromEntries(VALUE_KINDS.map((k) => [k, [...(m.get(k) ?? [])].sort()])) as AgentProfile['values'];
  return {
    sessions: acc.sessions,
    calls: acc.calls,
    tools: Object.fromEntries(
      byKey(acc.tools).map(([name, t]) => [
        name,
        {
          count: t.count,
          sessions: t.sessions,
          sideEffect: t.sideEffect,
          maxPerSession: t.max,
          argLength: Object.fromEntries(byKey(t.len)),
          pointers: Object.fromEntries(
            byKey(t.pointers).map(([pointer, p]): [string, PointerStats] => [
              pointer,
              { seen: p.seen, values: p.values === null ? null : [...p.values].sort() },
            ]),
          ),
          ...(t.results.length === 0 ? {} : { resultSize: sizes(t.results) }),
        },
      ]),
    ),
    transitions: Object.fromEntries(
      byKey(acc.transitions).map(([from, row]) => [from, Object.fromEntries(byKey(row))]),
    ),
    values: kinds(acc.values),
    environment: kinds(acc.environment),
    flows: Object.fromEntries(byKey(acc.flows).map(([sink, sources]) => [sink, [...sources].sort()])),
    timing: {
      calls: acc.hours.reduce((a, b) => a + b, 0),
      hours: acc.hours,
      windowMs: RATE_WINDOW_MS,
      perWindow: Object.fromEntries(
        byKey(acc.times).map(([tool, times]) => [tool, mostInWindow(times, RATE_WINDOW_MS)]),
      ),
    },
  };
}

/**
 * Refuses a session whose agent, tool or argument names could not be members of a profile: a profile is JSON
 * keyed by them, and every strict reader refuses a member named `__proto__`, so it could never be read back.
 * A tool must also be a tool name (the one grammar): no guard runs a tool named otherwise.
 */
function checkNames(session: MonitorSession): void {
  if (session.agent === '__proto__') {
    throw new MonitorError('ERR_MONITOR_INPUT_INVALID', 'a session names its agent "__proto__"');
  }
  for (const call of session.calls) {
    if (!isToolName(call.tool)) {
      const shown = JSON.stringify(String(call.tool).slice(0, 80));
      throw new MonitorError('ERR_MONITOR_INPUT_INVALID', `a session calls ${shown}, which is not a tool name`);
    }
    if (Object.hasOwn(call.args, '__proto__')) {
      throw new MonitorError('ERR_MONITOR_INPUT_INVALID', `a call of ${call.tool} has an argument named "__proto__"`);
    }
  }
}

/**
 * Learns a profile from sessions (benign ones: see `learnProfile` in learn.ts for the alert decision).
 * Tools, arguments, order, side-effect flags and call times are what an audit log keeps; results,
 * when present (a corpus), add the values the agent's environment returned.
 *
 * @param sessions - the sessions to learn from.
 * @param learned - the `learned` block to record.
 * @returns a profile, with every list sorted so its canonical hash is stable.
 * @throws MonitorError `ERR_MONITOR_INPUT_INVALID` when a tool is not a tool name, or an agent or argument is
 *   named `__proto__`.
 */
export function buildProfile(sessions: readonly MonitorSession[], learned: Profile['learned']): Profile {
  const agents = new Map<string, AgentAcc>();
  for (const session of sessions) checkNames(session);
  for (const session of sessions) {
    let acc = agents.get(session.agent);
    if (acc === undefined) {
      acc = newAgent();
      agents.set(session.agent, acc);
    }
    acc.sessions++;
    const perSession = new Map<string, number>();
    const reads = new Set<string>();
    let prev = SESSION_START;
    for (const call of session.calls) {
      const n = (perSession.get(call.tool) ?? 0) + 1;
      perSession.set(call.tool, n);
      learnCall(acc, call, n, prev, reads);
      if (!call.sideEffect) reads.add(call.tool);
      prev = call.tool;
    }
  }
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    learned,
    agents: Object.fromEntries(byKey(agents).map(([agent, acc]) => [agent, finish(acc)])),
  };
}
