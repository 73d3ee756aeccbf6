import { z } from 'zod';
import { MonitorError } from './errors.js';
import { VALUE_KINDS } from './values.js';

/** The `format` field of every profile document. */
export const PROFILE_FORMAT = 'agentguard.monitor.profile';
/** The profile format version written by this package. */
export const PROFILE_VERSION = 1;
/** The transition source of a session's first call. */
export const SESSION_START = '^';
/** The rate window learned profiles use, in milliseconds. */
export const RATE_WINDOW_MS = 60_000;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Most distinct values a pointer keeps; past it the pointer is `varied` (`values: null`). */
export const MAX_POINTER_VALUES = 16;
/** Most pointers a tool keeps (the first seen, in learning order). */
export const MAX_POINTERS = 64;

// Kinds added after version 1 was first written are optional, so a profile learned before them still parses.
type LaterKind = 'path' | 'sql';
const LATER_KINDS: ReadonlySet<string> = new Set<LaterKind>(['path', 'sql']);
type KindShape = { [K in Exclude<(typeof VALUE_KINDS)[number], LaterKind>]: z.ZodArray<z.ZodString> } & {
  [K in LaterKind]: z.ZodOptional<z.ZodArray<z.ZodString>>;
};
const kindSets = () =>
  z.strictObject(
    Object.fromEntries(
      VALUE_KINDS.map((k) => [k, LATER_KINDS.has(k) ? z.array(z.string()).optional() : z.array(z.string())]),
    ) as KindShape,
  );

const PointerSchema = z.strictObject({
  /** Calls whose arguments held a whole recipient- or target-like value at this pointer. */
  seen: count,
  /** The distinct values (`kind:value`) seen there, sorted; null when more than {@link MAX_POINTER_VALUES}. */
  values: z.array(z.string()).max(MAX_POINTER_VALUES).nullable(),
});

const ResultSizeSchema = z.strictObject({
  /** Results measured. */
  count,
  /** Median, 95th percentile and largest size, in characters of strings plus one per other leaf and member. */
  p50: count,
  p95: count,
  max: count,
});

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
  /**
   * Recipient- and target-like values by JSON pointer of the argument field that held them whole (array
   * indices as `*`): what each field normally names. Absent in profiles learned before it was kept.
   */
  pointers: z.record(z.string(), PointerSchema).optional(),
  /** Sizes of the tool's results, when results were available to learn from (a corpus; not an audit log). */
  resultSize: ResultSizeSchema.optional(),
});

const TimingSchema = z.strictObject({
  /** Calls with a time. */
  calls: count,
  /** Calls per UTC hour of day, 24 entries. */
  hours: z.array(count).length(24),
  /** Length of the rate window, in milliseconds. */
  windowMs: z.number().int().min(1).max(86_400_000),
  /** Most calls of each tool seen in any one window. */
  perWindow: z.record(z.string(), count),
});

const AgentProfileSchema = z.strictObject({
  sessions: count,
  calls: count,
  tools: z.record(z.string(), ToolStatsSchema),
  /** Tool-to-tool transitions (first-order Markov counts); `^` is the session start. */
  transitions: z.record(z.string(), z.record(z.string(), count)),
  /** Recipient- and target-like values seen in arguments, by kind, normalised and sorted. */
  values: kindSets(),
  /**
   * Values of the same kinds seen in tool results while learning (the agent's environment: its
   * contacts, accounts, sites), when results were available. A value seen here is not new.
   */
  environment: kindSets(),
  /**
   * Data flows: for each side-effect tool, the read tools that came before it in one session
   * (read private data -> egress), sorted.
   */
  flows: z.record(z.string(), z.array(z.string())),
  /** When calls happen, from calls that carry a time (`at`); all zero when none did (a corpus). */
  timing: TimingSchema,
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
/** When an agent's calls happen. */
export type Timing = z.infer<typeof TimingSchema>;
/** What a profile holds about one argument field (JSON pointer) of one tool. */
export type PointerStats = z.infer<typeof PointerSchema>;
/** The learned distribution of one tool's result sizes. */
export type ResultSize = z.infer<typeof ResultSizeSchema>;
/** What a profile holds about one tool of one agent. */
export type ToolStats = z.infer<typeof ToolStatsSchema>;

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
