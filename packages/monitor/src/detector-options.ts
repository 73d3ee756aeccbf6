/** The features an alert can name: each is one check against the profile, with its own evidence. */
export const ALERT_FEATURES = Object.freeze([
  'agent.unknown',
  'tool.unknown',
  'value.ungrounded',
  'transition.unknown',
  'rate.burst',
  'size.args',
] as const);

/** One of {@link ALERT_FEATURES}. */
export type AlertFeature = (typeof ALERT_FEATURES)[number];

/** Options of `createDetector`. */
export interface DetectorOptions {
  /**
   * Weight each feature adds to a call's score when it fires.
   * @default { 'agent.unknown': 1, 'tool.unknown': 0.5, 'value.ungrounded': 1, 'transition.unknown': 0.25, 'rate.burst': 0.5, 'size.args': 0.5 }
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
}

/** {@link DetectorOptions} with every default filled in. */
export interface NormalisedDetectorOptions {
  readonly weights: Readonly<Record<AlertFeature, number>>;
  readonly threshold: number;
  readonly burstFactor: number;
  readonly sizeFactor: number;
  readonly sizeFloor: number;
  readonly maxSessions: number;
}

/** The default feature weights. */
export const DEFAULT_WEIGHTS: Readonly<Record<AlertFeature, number>> = Object.freeze({
  'agent.unknown': 1,
  // A new tool alone is not enough: agents meet new tasks. Tuned on the dev split.
  'tool.unknown': 0.5,
  'value.ungrounded': 1,
  'transition.unknown': 0.25,
  'rate.burst': 0.5,
  'size.args': 0.5,
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
  });
}
