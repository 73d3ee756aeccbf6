import type { MonitorSession } from './call.js';
import { createDetector, type Detector, type Verdict } from './detector.js';
import type { DetectorOptions } from './detector-options.js';
import type { Profile } from './profile.js';

/** One line of a predictions file: the format the corpus scorer (`score.py`) reads. */
export interface Prediction {
  readonly session_id: string;
  readonly flagged: boolean;
  /** 0-based index of the first flagged call, or null. */
  readonly first_flagged_call: number | null;
}

/** A replayed session: its prediction and the verdict of the first flagged call. */
export interface Replay {
  readonly prediction: Prediction;
  readonly firstVerdict: Verdict | undefined;
}

/**
 * Replays one session through a detector exactly as a guard would: score each call before it
 * runs, then feed its result back.
 *
 * @param detector - from `createDetector`.
 * @param session - the session.
 * @returns the prediction and the first flagged verdict.
 */
export function replaySession(detector: Detector, session: MonitorSession): Replay {
  detector.begin(session.id, {
    agent: session.agent,
    ...(session.prompt === undefined ? {} : { prompt: session.prompt }),
  });
  let first: number | null = null;
  let firstVerdict: Verdict | undefined;
  for (const [i, call] of session.calls.entries()) {
    const dc = {
      agent: session.agent,
      session: session.id,
      tool: call.tool,
      args: call.args,
      sideEffect: call.sideEffect,
    };
    const verdict = detector.score(dc);
    if (verdict.flagged && first === null) {
      first = i;
      firstVerdict = verdict;
    }
    detector.observe(dc, call.result);
  }
  detector.end(session.id);
  return { prediction: { session_id: session.id, flagged: first !== null, first_flagged_call: first }, firstVerdict };
}

/**
 * Replays every session through a detector built on `profile`: what
 * `agentguard profile evaluate --train … --sessions … --out …` does after learning.
 *
 * @param profile - the learned profile.
 * @param sessions - the sessions to replay (labels are never read).
 * @param options - detector options.
 * @returns one replay per session, in order.
 */
export function evaluateSessions(
  profile: Profile,
  sessions: readonly MonitorSession[],
  options: DetectorOptions = {},
): Replay[] {
  const detector = createDetector(profile, options);
  return sessions.map((s) => replaySession(detector, s));
}

/**
 * Serialises predictions as JSON Lines, one per session, each ending in a newline.
 *
 * @param predictions - from {@link evaluateSessions}.
 * @returns the file's text.
 */
export function formatPredictions(predictions: readonly Prediction[]): string {
  return predictions.map((p) => `${JSON.stringify(p)}\n`).join('');
}
