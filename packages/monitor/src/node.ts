/**
 * Node-bound helpers of `@agentguard/monitor`: file digests for attestation, the file-to-file
 * `evaluate` that `agentguard profile evaluate --train --sessions --out` wraps, and the live-log
 * follower that `agentguard monitor <log> [--profile]` wraps.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { sha256Hex } from '@agentguard/statement';
import { parseCorpus } from './call.js';
import type { DetectorOptions } from './detector-options.js';
import { evaluateSessions, formatPredictions, type Prediction } from './evaluate.js';
import { learnProfile } from './learn.js';
import type { Profile } from './profile.js';

export {
  followLog,
  type FollowOptions,
  type FollowEvent,
  type LogFollower,
  type LogPosition,
} from './follow.js';
export { createSummary, type AgentSummary, type SummaryTable } from './summary.js';

/**
 * Digests files (lockfile, entry files) for `attest`.
 *
 * @param paths - file paths; each is read whole.
 * @returns path to `sha256:<hex>` of its bytes.
 */
export async function digestFiles(paths: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = `sha256:${sha256Hex(new Uint8Array(await readFile(p)))}`;
  return out;
}

/** Options of {@link evaluateFiles}. */
export interface EvaluateFilesOptions {
  /** Sessions (JSON Lines) to learn the profile from. */
  readonly train: string;
  /** Sessions (JSON Lines) to replay. */
  readonly sessions: string;
  /** Where to write predictions (JSON Lines). */
  readonly out: string;
  /** Detector options. @default {} */
  readonly detector?: DetectorOptions;
}

/**
 * What `agentguard profile evaluate --train <a> --sessions <b> --out <p>` does: learns a profile
 * from `train` exactly as `profile learn` would, replays every session of `sessions` through the
 * online detector exactly as a guard would, and writes one `{ session_id, flagged,
 * first_flagged_call }` line per session.
 *
 * @returns the profile and the predictions written.
 * @throws MonitorError `ERR_MONITOR_INPUT_INVALID` naming the bad line.
 * @example
 * ```ts
 * await evaluateFiles({ train: 'train.jsonl', sessions: 'dev.jsonl', out: 'predictions.jsonl' });
 * // python3 score.py predictions.jsonl dev.jsonl
 * ```
 */
export async function evaluateFiles(
  options: EvaluateFilesOptions,
): Promise<{ profile: Profile; predictions: Prediction[] }> {
  const profile = learnProfile(parseCorpus(await readFile(options.train, 'utf8')));
  const sessions = parseCorpus(await readFile(options.sessions, 'utf8'));
  const predictions = evaluateSessions(profile, sessions, options.detector ?? {}).map((r) => r.prediction);
  await writeFile(options.out, formatPredictions(predictions));
  return { profile, predictions };
}
