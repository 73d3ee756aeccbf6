import {
  type AuditRecord,
  type EventRecord,
  type LogReport,
  readLog,
  type VerifyLogOptions,
  verifyLog,
} from '@agentguard/audit';
import type { ReportFile } from './types.js';

/** One file of a log: its name (for the report) and its bytes. */
export interface LogSegment {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** What every control is computed from: the verification, and the records that verified. */
export interface LogFacts {
  readonly verification: LogReport;
  /** Records that verified, in log order (none after a break). */
  readonly records: readonly AuditRecord[];
  readonly events: readonly EventRecord[];
  readonly files: readonly ReportFile[];
  readonly asOfMs: number;
}

/** What {@link readFacts} verifies the log with. */
export interface FactOptions {
  readonly trust?: VerifyLogOptions['trust'];
  readonly checkpointKeys?: readonly string[];
  readonly checkpoint?: string;
  readonly nowMs?: number;
}

const LF = 0x0a;

/** The first `count` lines of `bytes` (each with its newline). */
function firstLines(bytes: Uint8Array, count: number): Uint8Array {
  let end = 0;
  for (let n = 0; n < count; n++) {
    const nl = bytes.indexOf(LF, end);
    if (nl === -1) break;
    end = nl + 1;
  }
  return bytes.subarray(0, end);
}

/** Lines of a file: its newlines, and a last line without one. */
function lineCount(bytes: Uint8Array): number {
  let lines = 0;
  for (let nl = bytes.indexOf(LF); nl !== -1; nl = bytes.indexOf(LF, nl + 1)) lines += 1;
  return bytes.length > 0 && bytes[bytes.length - 1] !== LF ? lines + 1 : lines;
}

/**
 * Verifies the log in full (audit's `verifyLog`: chain, hashes, signatures, envelopes, checkpoints, trust) and
 * reads its records through audit's reader. Only records that verified are read: after a break, nothing later
 * counts as evidence of anything.
 */
export function readFacts(segments: readonly LogSegment[], options: FactOptions): LogFacts {
  const total = segments.reduce((n, s) => n + s.bytes.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const s of segments) {
    bytes.set(s.bytes, at);
    at += s.bytes.length;
  }
  const verification = verifyLog(bytes, {
    ...(options.trust === undefined ? {} : { trust: options.trust }),
    ...(options.checkpointKeys === undefined ? {} : { checkpointKeys: options.checkpointKeys }),
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
  });
  let records: readonly AuditRecord[] = [];
  try {
    records = readLog(verification.ok ? bytes : firstLines(bytes, verification.records)).records;
  } catch {
    // The prefix that verified is always readable; should it not be, nothing is evidence.
    records = [];
  }
  const events = records.filter((r): r is EventRecord => r.type !== 'checkpoint');
  const files: ReportFile[] = [];
  let line = 0;
  for (const s of segments) {
    const lines = lineCount(s.bytes);
    const inFile = records.slice(line, line + lines);
    line += lines;
    const first = inFile[0];
    const last = inFile.at(-1);
    files.push(
      first === undefined || last === undefined
        ? { name: s.name }
        : { name: s.name, firstSeq: first.seq, lastSeq: last.seq, from: first.ts, to: last.ts },
    );
  }
  const newest = records.at(-1);
  const asOfMs = options.nowMs ?? (newest === undefined ? 0 : Date.parse(newest.ts));
  return { verification, records, events, files, asOfMs };
}
