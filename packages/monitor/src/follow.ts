/**
 * Follows a live JSON Lines audit log (what `agentguard monitor <log> [--profile p.json]` wraps):
 * new lines are read as they are appended, a torn last line waits until its newline arrives, and a
 * rotated (renamed and recreated) or truncated file is picked up from its start. Each
 * `call.requested` record is scored by the detector; verdicts with alerts are yielded as they happen,
 * and a per-agent summary is kept as plain data for the caller to print.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAuditRecord, RECORD_MAX_BYTES } from '@agentguard/audit';
import { createDetector, type Verdict } from './detector.js';
import type { DetectorOptions } from './detector-options.js';
import { callOfRecord, type FromAuditOptions } from './from-audit.js';
import type { Profile } from './profile.js';
import { createSummary, type AgentSummary } from './summary.js';

/** Options of {@link followLog}. */
export interface FollowOptions extends FromAuditOptions {
  /** The profile in force (`verifySignedProfile(...).profile`). */
  readonly profile: Profile;
  /** Detector options. @default {} */
  readonly detector?: DetectorOptions;
  /** Keep waiting for new lines at the end of the file; false reads what is there and stops. @default true */
  readonly follow?: boolean;
  /** How often to look for new lines, in milliseconds. @default 250 */
  readonly pollMs?: number;
  /** Stops following when aborted (the iterator then ends). @default none */
  readonly signal?: AbortSignal;
  /**
   * Lines at the start of the file (before any rotation) that are scored as context but neither yielded nor
   * counted in the summary: the part of the log a profile was learned from, so the detector knows the sessions
   * that continue past it without reporting on its own training data.
   * @default 0
   */
  readonly contextLines?: number;
}

/** Where an event came from in the log. */
export interface LogPosition {
  /** 1-based line number in the current file (restarts at 1 after a rotation). */
  readonly line: number;
  /** The record's `seq` and `ts`, when it parsed. */
  readonly seq?: number;
  readonly ts?: string;
}

/** What {@link followLog} yields. */
export type FollowEvent =
  | {
      readonly kind: 'alert';
      readonly at: LogPosition;
      readonly agent: string;
      readonly session: string;
      readonly tool: string;
      readonly callId: string;
      readonly verdict: Verdict;
    }
  | { readonly kind: 'invalid'; readonly at: LogPosition; readonly reason: string }
  | { readonly kind: 'rotated'; readonly at: LogPosition };

/** A running follower: iterate it for events; `summary()` any time; `close()` to stop. */
export interface LogFollower extends AsyncIterable<FollowEvent> {
  /** One row per agent seen so far, sorted by agent. */
  summary(): AgentSummary[];
  /** Stops following; the iterator ends after the current poll. */
  close(): void;
}

const CHUNK = 1 << 20;

/**
 * Follows an audit log file and scores every call it records. Records are parsed with the audit
 * schema but neither the hash chain nor the signatures are checked here (`agentguard verify` and
 * `audit tail` do that); a line that does not parse is yielded as `invalid` and skipped.
 * Call results are not in audit logs, so grounding comes from the profile only.
 *
 * @param path - the log file; it may not exist yet.
 * @param options - see {@link FollowOptions}.
 * @returns a {@link LogFollower}.
 * @throws MonitorError `ERR_MONITOR_PROFILE_INVALID` when `options.profile` is not a profile; RangeError on bad options.
 * @example
 * ```ts
 * const follower = followLog('audit.jsonl', { profile });
 * for await (const e of follower) if (e.kind === 'alert') console.log(e.agent, e.tool, e.verdict.alerts);
 * console.table(follower.summary());
 * ```
 */
export function followLog(path: string, options: FollowOptions): LogFollower {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`"path" expected a file path, got ${typeof path}`);
  const pollMs = options.pollMs ?? 250;
  if (!Number.isFinite(pollMs) || pollMs <= 0)
    throw new RangeError(`"pollMs" expected a positive number, got ${pollMs}`);
  const contextLines = options.contextLines ?? 0;
  if (!Number.isSafeInteger(contextLines) || contextLines < 0)
    throw new RangeError(`"contextLines" expected a non-negative integer, got ${String(contextLines)}`);
  const detector = createDetector(options.profile, options.detector ?? {});
  // Context lines belong to the first file only: after a rotation every line is reported.
  let inContext = contextLines > 0;
  const summary = createSummary();
  const stop = new AbortController();
  const closeOn = options.signal;
  closeOn?.addEventListener('abort', () => stop.abort(), { once: true });
  if (closeOn?.aborted === true) stop.abort();

  function handle(text: string, line: number): FollowEvent | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { kind: 'invalid', at: { line }, reason: 'not JSON' };
    }
    const parsed = parseAuditRecord(raw);
    if (!parsed.ok) return { kind: 'invalid', at: { line }, reason: parsed.reason };
    const record = parsed.record;
    const at = { line, seq: record.seq, ts: record.ts };
    const found = callOfRecord(record, options);
    if (found === undefined || record.type === 'checkpoint') return undefined;
    const verdict = detector.score({ agent: record.agent, session: found.session, ...found.call });
    if (inContext && line <= contextLines) return undefined;
    summary.add(record.agent, verdict, record.ts);
    if (verdict.alerts.length === 0) return undefined;
    return {
      kind: 'alert',
      at,
      agent: record.agent,
      session: found.session,
      tool: record.tool,
      callId: record.callId,
      verdict,
    };
  }

  async function* run(): AsyncGenerator<FollowEvent> {
    let fh: FileHandle | undefined;
    let ino = -1;
    let offset = 0;
    let partial = '';
    let line = 0;
    let decoder = new TextDecoder('utf-8', { fatal: false });
    const buf = new Uint8Array(CHUNK);
    try {
      while (!stop.signal.aborted) {
        const now = await stat(path).catch(() => undefined);
        if (fh !== undefined && now !== undefined && (now.ino !== ino || now.size < offset)) {
          // Rotated (a new file at the path) or truncated: finish the old file, then start the new one.
          const old = await fh.stat();
          if (now.ino !== ino && old.size > offset) {
            const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, old.size - offset), offset);
            offset += bytesRead;
            yield* lines(decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
            continue;
          }
          await fh.close();
          fh = undefined;
          if (partial.trim() !== '')
            yield { kind: 'invalid', at: { line: line + 1 }, reason: 'torn last line before rotation' };
          partial = '';
          decoder = new TextDecoder('utf-8', { fatal: false });
          inContext = false;
          yield { kind: 'rotated', at: { line } };
          line = 0;
        }
        if (fh === undefined && now !== undefined) {
          fh = await open(path, 'r');
          ino = (await fh.stat()).ino;
          offset = 0;
        }
        const size = fh === undefined ? 0 : (await fh.stat()).size;
        if (fh !== undefined && size > offset) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - offset), offset);
          offset += bytesRead;
          yield* lines(decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
          continue;
        }
        if (options.follow === false) return;
        await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    } finally {
      await fh?.close();
    }

    function* lines(text: string): Generator<FollowEvent> {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        line++;
        if (part.trim() === '') continue;
        const event = handle(part, line);
        if (event !== undefined) yield event;
      }
      if (partial.length > RECORD_MAX_BYTES) {
        // A "line" longer than any record: report it and skip to its end.
        line++;
        partial = '';
        yield { kind: 'invalid', at: { line }, reason: `line longer than ${RECORD_MAX_BYTES} bytes` };
      }
    }
  }

  const iterator = run();
  return {
    [Symbol.asyncIterator]: () => iterator,
    summary: () => summary.rows(),
    close: () => stop.abort(),
  };
}
