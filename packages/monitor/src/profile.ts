import { z } from 'zod';
import type { MonitorSession } from './call.js';
import { MonitorError } from './errors.js';
import { scanJson, VALUE_KINDS } from './values.js';

/** The `format` field of every profile document. */
export const PROFILE_FORMAT = 'agentguard.monitor.profile';
/** The profile format version written by this package. */
export const PROFILE_VERSION = 1;
/** The transition source of a session's first call. */
export const SESSION_START = '^';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const ToolStatsSchema = z.strictObject({
  /** Calls of this tool seen. */
  count,
  /** Sessions that used it. */
  sessions: count,
  /** Whether the tool changes state or sends data out. */
  sideEffect: z.boolean(),
  /** Most calls of it in one session. */
  maxPerSession: count,
  /** Longest serialised value seen per top-level argument name. */
  argLength: z.record(z.string(), count),
});

const AgentProfileSchema = z.strictObject({
  sessions: count,
  calls: count,
  tools: z.record(z.string(), ToolStatsSchema),
  /** Tool-to-tool transitions (first-order Markov counts); `^` is the session start. */
  transitions: z.record(z.string(), z.record(z.string(), count)),
  /** Recipient- and target-like values seen in arguments, by kind, normalised and sorted. */
  values: z.strictObject(
    Object.fromEntries(VALUE_KINDS.map((k) => [k, z.array(z.string())])) as Record<
      (typeof VALUE_KINDS)[number],
      z.ZodArray<z.ZodString>
    >,
  ),
  /**
   * Values of the same kinds seen in tool results while learning (the agent's environment: its
   * contacts, accounts, sites), when results were available. A value seen here is not new.
   */
  environment: z.strictObject(
    Object.fromEntries(VALUE_KINDS.map((k) => [k, z.array(z.string())])) as Record<
      (typeof VALUE_KINDS)[number],
      z.ZodArray<z.ZodString>
    >,
  ),
});

/** The profile document: what each agent normally does. Plain JSON, canonicalised before hashing. */
export const ProfileSchema = z.strictObject({
  format: z.literal(PROFILE_FORMAT),
  version: z.literal(PROFILE_VERSION),
  /** What the profile was learned from. */
  learned: z.strictObject({
    sessions: count,
    calls: count,
    /** What was decided about sessions in the window that raised alerts. */
    alerts: z.enum(['none', 'excluded', 'included']),
    /** Sessions with alerts in the window (excluded or included, per `alerts`). */
    alertSessions: count,
  }),
  agents: z.record(z.string(), AgentProfileSchema),
});

/** A behavioural profile (fingerprint) of one or more agents. */
export type Profile = z.infer<typeof ProfileSchema>;
/** What a profile holds about one agent. */
export type AgentProfile = z.infer<typeof AgentProfileSchema>;
/** What a profile holds about one tool of one agent. */
export type ToolStats = z.infer<typeof ToolStatsSchema>;

/** How long a top-level argument is, as the detector measures it. */
export function argLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 1;
  let n = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) n += argLength(item) + 1;
  return n;
}

function addValue(into: Map<string, Set<string>>, kind: string, key: string): void {
  let set = into.get(kind);
  if (set === undefined) {
    set = new Set();
    into.set(kind, set);
  }
  set.add(key.slice(kind.length + 1));
}

interface AgentAcc {
  sessions: number;
  calls: number;
  tools: Map<string, { count: number; sessions: number; sideEffect: boolean; max: number; len: Map<string, number> }>;
  transitions: Map<string, Map<string, number>>;
  values: Map<string, Set<string>>;
  environment: Map<string, Set<string>>;
}

/**
 * Learns a profile from sessions (benign ones: see `learnProfile` in learn.ts for the alert decision).
 * Only what an audit log keeps is used — tools, arguments, order, side-effect flags — never results,
 * so a profile learned from a corpus and one learned from logs are the same thing.
 *
 * @param sessions - the sessions to learn from.
 * @param learned - the `learned` block to record.
 * @returns a profile, with every list sorted so its canonical hash is stable.
 */
export function buildProfile(sessions: readonly MonitorSession[], learned: Profile['learned']): Profile {
  const agents = new Map<string, AgentAcc>();
  for (const session of sessions) {
    let acc = agents.get(session.agent);
    if (acc === undefined) {
      acc = {
        sessions: 0,
        calls: 0,
        tools: new Map(),
        transitions: new Map(),
        values: new Map(),
        environment: new Map(),
      };
      agents.set(session.agent, acc);
    }
    acc.sessions++;
    const perSession = new Map<string, number>();
    let prev = SESSION_START;
    for (const call of session.calls) {
      acc.calls++;
      let tool = acc.tools.get(call.tool);
      if (tool === undefined) {
        tool = { count: 0, sessions: 0, sideEffect: call.sideEffect, max: 0, len: new Map() };
        acc.tools.set(call.tool, tool);
      }
      tool.count++;
      tool.sideEffect ||= call.sideEffect;
      const n = (perSession.get(call.tool) ?? 0) + 1;
      perSession.set(call.tool, n);
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
      prev = call.tool;
      scanJson(call.args, (v) => addValue(acc.values, v.kind, v.key));
      if (call.result !== null && call.result !== undefined) {
        scanJson(call.result, (v) => addValue(acc.environment, v.kind, v.key));
      }
    }
  }
  const kinds = (m: Map<string, Set<string>>) =>
    Object.fromEntries(VALUE_KINDS.map((k) => [k, [...(m.get(k) ?? [])].sort()])) as AgentProfile['values'];
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Profile = {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    learned,
    agents: Object.fromEntries(
      sorted(agents).map(([agent, acc]) => [
        agent,
        {
          sessions: acc.sessions,
          calls: acc.calls,
          tools: Object.fromEntries(
            sorted(acc.tools).map(([name, t]) => [
              name,
              {
                count: t.count,
                sessions: t.sessions,
                sideEffect: t.sideEffect,
                maxPerSession: t.max,
                argLength: Object.fromEntries(sorted(t.len)),
              },
            ]),
          ),
          transitions: Object.fromEntries(
            sorted(acc.transitions).map(([from, row]) => [from, Object.fromEntries(sorted(row))]),
          ),
          values: kinds(acc.values),
          environment: kinds(acc.environment),
        },
      ]),
    ),
  };
  return out;
}

/**
 * Parses and checks a profile document (e.g. from `profile.json`).
 *
 * @param value - the parsed JSON.
 * @returns the profile.
 * @throws MonitorError `ERR_MONITOR_PROFILE_INVALID` naming the first bad field.
 */
export function parseProfile(value: unknown): Profile {
  const parsed = ProfileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue === undefined || issue.path.length === 0 ? 'profile' : issue.path.map(String).join('.');
    throw new MonitorError('ERR_MONITOR_PROFILE_INVALID', `${path}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
