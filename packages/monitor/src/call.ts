import { z } from 'zod';
import { MonitorError } from './errors.js';

/** One tool call as the monitor sees it, whatever it was read from (a live guard, an audit log, a corpus). */
export interface MonitorCall {
  /** The tool name. */
  readonly tool: string;
  /** The call's arguments (plain JSON). */
  readonly args: Readonly<Record<string, unknown>>;
  /** True when the tool changes state or sends data out (the `egress` / `writes:*` labels of a guarded tool). */
  readonly sideEffect: boolean;
}

/** A call with what came back, once it has run. */
export interface ObservedCall extends MonitorCall {
  /** The tool's JSON result, or `null` when it failed or the result is not known (audit logs keep only a digest). */
  readonly result: unknown;
}

/** One agent session: the calls one agent made for one request. */
export interface MonitorSession {
  /** An opaque session id. */
  readonly id: string;
  /** The agent (a did:key, or any stable name). */
  readonly agent: string;
  /** The user's request that started the session, when known. */
  readonly prompt?: string;
  /** The calls, in order. */
  readonly calls: readonly ObservedCall[];
}

// The corpus format (test/datasets/agentdojo-traces/README.md). Only the fields a detector may
// read are kept; labels and provenance are parsed out separately by `labelsOf` in tests.
const CorpusCall = z.object({
  tool: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
  result: z.unknown(),
  error: z.string().nullable().optional(),
  side_effect: z.boolean(),
});
const CorpusSession = z.object({
  session_id: z.string().min(1),
  agent: z.string().min(1),
  user_prompt: z.string().optional(),
  calls: z.array(CorpusCall),
});

/**
 * Parses one line of a session corpus (the AgentDojo-traces JSON Lines shape) into a
 * {@link MonitorSession}, keeping only what a detector may read: agent, session id, prompt, and
 * each call's tool, args, result and side-effect flag. Labels never reach the detector.
 *
 * @param line - one JSON object.
 * @returns the session.
 * @throws MonitorError `ERR_MONITOR_INPUT_INVALID` when the line is not a session.
 */
export function parseCorpusSession(line: string): MonitorSession {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (cause) {
    throw new MonitorError('ERR_MONITOR_INPUT_INVALID', 'session line is not JSON', { cause });
  }
  const parsed = CorpusSession.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MonitorError(
      'ERR_MONITOR_INPUT_INVALID',
      `session: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`,
    );
  }
  const s = parsed.data;
  return {
    id: s.session_id,
    agent: s.agent,
    ...(s.user_prompt === undefined ? {} : { prompt: s.user_prompt }),
    calls: s.calls.map((c) => ({ tool: c.tool, args: c.args, sideEffect: c.side_effect, result: c.result ?? null })),
  };
}

/**
 * Parses a whole corpus (JSON Lines; blank lines skipped).
 *
 * @param text - the file's text.
 * @returns its sessions, in file order.
 * @throws MonitorError `ERR_MONITOR_INPUT_INVALID` naming the first bad line.
 */
export function parseCorpus(text: string): MonitorSession[] {
  const sessions: MonitorSession[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      sessions.push(parseCorpusSession(line));
    } catch (error) {
      if (error instanceof MonitorError) {
        throw new MonitorError(error.code, `line ${i + 1}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
  return sessions;
}
