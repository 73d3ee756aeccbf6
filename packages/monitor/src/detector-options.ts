/** The features an alert can name: each is one check against the profile, with its own evidence. */
export const ALERT_FEATURES = Object.freeze([
  'agent.unknown',
  'tool.unknown',
  'value.ungrounded',
  'transition.unknown',
  'rate.burst',
  'size.args',
  'args.unscanned',
  'flow.unknown',
  'rate.window',
  'time.unusual',
  'value.pointer',
  'size.result',
] as const);

/** One of {@link ALERT_FEATURES}. */
export type AlertFeature = (typeof ALERT_FEATURES)[number];

/** Options of `createDetector`. */
export interface DetectorOptions {
  /**
   * Weight each feature adds to a call's score when it fires.
   * A weight of 0 turns a feature off (it is not computed).
   * @default {@link DEFAULT_WEIGHTS}
   */
  readonly weights?: Partial<Readonly<Record<AlertFeature, number>>>;
  /** A call whose score reaches this is flagged. @default 1 */
  readonly threshold?: number;
  /** `rate.burst` fires when a tool is called more than `burstFactor` × its most-seen calls per session. @default 2 */
  readonly burstFactor?: number;
  /** `size.args` fires when an argument is longer than `sizeFactor` × the longest seen for it … @default 4 */
  readonly sizeFactor?: number;
  /** … and longer than `sizeFloor` characters. @default 256 */
  readonly sizeFloor?: number;
  /** Sessions kept at once; the least recently used is dropped beyond this. @default 10000 */
  readonly maxSessions?: number;
  /** `time.unusual` and `rate.window` need at least this many timed calls of the agent in the profile. @default 50 */
  readonly minTimedCalls?: number;
  /**
   * `value.pointer` checks an argument field only when the profile saw a whole value there in at least this many
   * calls, each distinct value on average twice (a stable set). @default 4
   */
  readonly pointerMinSeen?: number;
}

/** {@link DetectorOptions} with every default filled in. */
export interface NormalisedDetectorOptions {
  readonly weights: Readonly<Record<AlertFeature, number>>;
  readonly threshold: number;
  readonly burstFactor: number;
  readonly sizeFactor: number;
  readonly sizeFloor: number;
  readonly maxSessions: number;
  readonly minTimedCalls: number;
  readonly pointerMinSeen: number;
}

const FLOW_WEIGHT = 0.25;

/** The default feature weights. */
export const DEFAULT_WEIGHTS: Readonly<Record<AlertFeature, number>> = Object.freeze({
  'agent.unknown': 1,
  // A new tool alone is not enough: agents meet new tasks. Tuned on the dev split.
  'tool.unknown': 0.5,
  'value.ungrounded': 1,
  'transition.unknown': 0.25,
  'rate.burst': 0.5,
  'size.args': 0.5,
  // Fail closed: a side-effect call whose arguments are too large or deep to check for destinations.
  'args.unscanned': 1,
  'flow.unknown': FLOW_WEIGHT,
  // Time features cannot be measured on the corpus (it has no call times): kept below the threshold,
  // so alone they record an alert with evidence but never flag a call.
  'rate.window': 0.5,
  'time.unusual': 0.25,
  // A value never seen at a field that always named one of a few: evidence, not a verdict alone (an agent
  // given a new task names a new target); with an ungrounded value or an odd sequence it flags.
  'value.pointer': 0.5,
  // A result far larger than any learned for the tool: known only once the call has run, so it counts in the
  // session's next call (and the guard records it after the call). Alone it does not flag.
  'size.result': 0.5,
});

function positive(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`"${name}" expected a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates and freezes detector options.
 *
 * @throws RangeError when a number is out of range or a weight names no feature.
 */
export function normaliseDetectorOptions(options: DetectorOptions = {}): NormalisedDetectorOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`"options" expected object, got ${options === null ? 'null' : typeof options}`);
  }
  const weights: Record<AlertFeature, number> = { ...DEFAULT_WEIGHTS };
  for (const [k, v] of Object.entries(options.weights ?? {})) {
    if (!(ALERT_FEATURES as readonly string[]).includes(k)) throw new RangeError(`"weights" has unknown feature ${k}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`"weights.${k}" expected a number >= 0, got ${String(v)}`);
    }
    weights[k as AlertFeature] = v;
  }
  return Object.freeze({
    weights: Object.freeze(weights),
    threshold: positive('threshold', options.threshold, 1),
    burstFactor: positive('burstFactor', options.burstFactor, 2),
    sizeFactor: positive('sizeFactor', options.sizeFactor, 4),
    sizeFloor: positive('sizeFloor', options.sizeFloor, 256),
    maxSessions: positive('maxSessions', options.maxSessions, 10_000, true),
    minTimedCalls: positive('minTimedCalls', options.minTimedCalls, 50, true),
    pointerMinSeen: positive('pointerMinSeen', options.pointerMinSeen, 4, true),
  });
}
