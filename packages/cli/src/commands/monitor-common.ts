import type { AuditRecord } from '@agentguard/audit';
import type { Alert, Profile } from '@agentguard/monitor';
import { verifySignedProfile } from '@agentguard/monitor';
import { type CommandIO, InputError } from '../command.js';
import { printable } from '../output.js';
import { shownData } from './audit-common.js';
import { readJsonFile } from './policy-common.js';

/** A monitor command's failure that is not a usage error (a profile that does not verify): printed, exit 1. */
export class MonitorCommandError extends Error {
  override readonly name = 'MonitorCommandError';
}

/**
 * Reads a signed profile file and verifies it against `trust` (hash, signature, trusted signer).
 * Unreadable or not JSON: InputError (exit 2); does not verify: MonitorCommandError (exit 1).
 */
export async function loadSignedProfile(
  path: string,
  trust: readonly string[],
  io: CommandIO,
): Promise<{ profile: Profile; hash: string; signer: string; json: unknown }> {
  let json: unknown;
  try {
    ({ json } = await readJsonFile(path, io, 'profile'));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError((error as Error).message);
  }
  const check = verifySignedProfile(json, trust);
  if (!check.ok) throw new MonitorCommandError(`${check.code}: ${path}: ${check.reason}`);
  return { profile: check.profile, hash: check.hash, signer: check.signer, json };
}

/** One alert as one printable line (every string from a log or a profile goes through `printable`). */
export function alertLine(a: Alert | { feature: string; expected: string; seen: string }): string {
  return `    ${printable(a.feature)}: expected ${printable(a.expected)}; seen ${printable(a.seen)}`;
}

/** Pads a table: columns left-aligned, each cell made printable first. */
export function table(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => r.map((c) => printable(c)));
  const widths: number[] = [];
  for (const r of cells) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return cells
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

/** The sessions (by the id sessionsFromAudit gives them) that contain a call with a monitor.alert record. */
export function alertedSessions(records: readonly AuditRecord[]): Set<string> {
  const alerted = new Set<string>();
  for (const r of records) if (r.type === 'monitor.alert') alerted.add(r.callId);
  const out = new Set<string>();
  for (const r of records) {
    if (r.type !== 'call.requested' || !alerted.has(r.callId)) continue;
    out.add(shownData(r).session ?? r.agent);
  }
  return out;
}
