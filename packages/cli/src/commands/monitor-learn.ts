import { readFile } from 'node:fs/promises';
import { type AuditRecord, readLog } from '@agentguard/audit';
import { type AlertDecision, learnProfile, type Profile, sessionsFromAudit } from '@agentguard/monitor';
import { alertedSessions, MonitorCommandError } from './monitor-common.js';

/** A profile learned from the head of the log being monitored. */
export interface LearnedWindow {
  readonly profile: Profile;
  /** Call records learned from. */
  readonly calls: number;
  /** Lines of the file the window spans (1..lines): the follower's context, never reported on. */
  readonly lines: number;
}

function typeOf(line: string): unknown {
  try {
    return (JSON.parse(line) as { type?: unknown } | null)?.type;
  } catch {
    return undefined; // not JSON: readLog names the line
  }
}

/**
 * Learns an (unsigned) profile from the first part of an audit log: the first `first` call records, or every
 * complete line the file holds now when `first` is undefined. The window's hash chain is checked (`readLog`);
 * a window with monitor alerts needs `onAlerts`, as `profile learn` does.
 *
 * @throws MonitorCommandError when the file cannot be read, holds fewer calls than asked, or the window is empty.
 * @throws AuditError when the window's chain or a record does not verify; MonitorError `ERR_MONITOR_ALERTS_IN_WINDOW`.
 */
export async function learnFromHead(
  path: string,
  first: number | undefined,
  onAlerts: AlertDecision | undefined,
): Promise<LearnedWindow> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch (error) {
    throw new MonitorCommandError(`cannot read ${path} to learn from: ${(error as Error).message}`);
  }
  // Only complete lines: the last one of a live log may still be being written.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
  complete.pop();
  let calls = 0;
  let lines = 0;
  for (const [i, line] of complete.entries()) {
    if (first !== undefined && calls === first) break;
    lines = i + 1;
    // A first look for the call records; readLog below parses and checks every line of the window.
    if (isType(line, 'call.requested')) calls++;
  }
  if (first !== undefined && calls < first) {
    throw new MonitorCommandError(`--learn-first ${first}: ${path} holds only ${calls} call record(s)`);
  }
  if (calls === 0) throw new MonitorCommandError(`nothing to learn from: ${path} holds no call record yet`);
  let records: readonly AuditRecord[];
  if (first === undefined) {
    // Everything the file holds now: a live batched log ends in records no checkpoint covers yet, so it learns
    // from what the last checkpoint covers, and what follows it is scored as it is read.
    const covered = coveredHead(complete);
    lines = covered.lines;
    calls = complete.slice(0, lines).filter((l) => isType(l, 'call.requested')).length;
    if (calls === 0) {
      throw new MonitorCommandError(`nothing to learn from: no call record of ${path} is covered by a checkpoint yet`);
    }
    records = covered.records;
  } else {
    records = readWindow(complete, lines);
  }
  const profile = learnProfile(sessionsFromAudit(records), {
    alerted: alertedSessions(records),
    ...(onAlerts === undefined ? {} : { onAlerts }),
  });
  return { profile, calls, lines };
}

/**
 * The records of the first `lines` lines, checked by `readLog`. A batched record is authenticated only by a later
 * checkpoint, so a window that ends before the checkpoint covering its batched records is checked up to that
 * checkpoint: the records after `lines` are checked, not learned from. With no such checkpoint in the file yet, the
 * window is refused as `readLog` refuses it.
 */
function readWindow(complete: readonly string[], lines: number): readonly AuditRecord[] {
  try {
    return readLog(head(complete, lines)).records;
  } catch (error) {
    const next = complete.findIndex((line, i) => i >= lines && isType(line, 'checkpoint'));
    if (next === -1) throw error;
    return readLog(head(complete, next + 1)).records.slice(0, lines);
  }
}

/**
 * Every complete line, checked by `readLog`; or, when the log ends in batched records no checkpoint covers yet (a
 * live batched log), the lines up to its last checkpoint. Any other problem is thrown as `readLog` names it.
 */
function coveredHead(complete: readonly string[]): { records: readonly AuditRecord[]; lines: number } {
  try {
    return { records: readLog(head(complete, complete.length)).records, lines: complete.length };
  } catch (error) {
    let last = complete.length - 1;
    while (last >= 0 && !isType(complete[last] as string, 'checkpoint')) last--;
    if (last === -1) throw error;
    return { records: readLog(head(complete, last + 1)).records, lines: last + 1 };
  }
}

/** The first `n` lines as log text. */
const head = (complete: readonly string[], n: number) => `${complete.slice(0, n).join('\n')}\n`;

/** Whether a line is a record of `type` (a quick look at its text first; parsed only if it may be). */
const isType = (line: string, type: string) => line.includes(`"${type}"`) && typeOf(line) === type;
