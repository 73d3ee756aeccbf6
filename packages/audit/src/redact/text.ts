import type { Detector, Span } from './detectors.js';

/**
 * A marker the redactor writes: `[REDACTED:<kind>]` or
 * `[REDACTED:<kind>:hmac-sha256:<16 hex>]`. Group 1 is the kind, group 2 the tag.
 */
export const REDACTION_MARKER = /^\[REDACTED:([a-z0-9-]{1,40})(?::hmac-sha256:([0-9a-f]{16}))?\]$/;

const MARKERS = /\[REDACTED:[a-z0-9-]{1,40}(?::hmac-sha256:[0-9a-f]{16})?\]/g;
const ANY_MARKER = new RegExp(MARKERS.source);

/**
 * Whether `text` holds a redaction marker anywhere: the value a log shows is not the value the
 * tool received, so tooling that reasons about recorded arguments (policy replay and suggest) must
 * not treat it as one.
 *
 * @param text - a string from a record.
 * @returns true when at least one marker is in it.
 * @example
 * ```ts
 * containsRedaction('mail [REDACTED:email:hmac-sha256:0123456789abcdef] now'); // true
 * ```
 */
export function containsRedaction(text: string): boolean {
  return typeof text === 'string' && ANY_MARKER.test(text);
}

/** Passes over one string before giving up and redacting it whole (see {@link createTextRedactor}). */
const MAX_PASSES = 4;

/** One redacted span: what it was and the marker that replaced it. */
export interface TextHit {
  readonly kind: string;
  readonly marker: string;
}

/** `mark(kind, text)` → the marker for `text`. */
export type Mark = (kind: string, text: string) => string;

/**
 * Runs `detectors` over text and replaces each finding with its marker.
 *
 * Markers already in the text are left alone and split it into segments that
 * are scanned separately, so a marker is never redacted again and redacting
 * twice changes nothing. Overlapping spans are merged (never partly revealed)
 * and named by the detector that comes first. The text is scanned again until
 * nothing more is found (a replacement can make a new match); if that takes
 * more than a few passes, the whole string is replaced (fail safe).
 */
export function createTextRedactor(detectors: readonly Detector[], mark: Mark) {
  function scan(text: string): Array<{ start: number; end: number; rank: number }> {
    const spans: Array<{ start: number; end: number; rank: number }> = [];
    let from = 0;
    const segment = (start: number, end: number) => {
      if (end - start < 4) return;
      const piece = text.slice(start, end);
      detectors.forEach((detector, rank) => {
        if (detector.quick !== undefined && !detector.quick(piece)) return;
        for (const [a, b] of detector.find(piece) as Iterable<Span>) {
          // A custom detector's out-of-range span is clamped rather than trusted.
          const s = Math.max(0, Math.min(a, piece.length));
          const e = Math.max(s, Math.min(b, piece.length));
          if (e > s) spans.push({ start: start + s, end: start + e, rank });
        }
      });
    };
    if (text.includes('[REDACTED:')) {
      MARKERS.lastIndex = 0;
      for (let m = MARKERS.exec(text); m !== null; m = MARKERS.exec(text)) {
        segment(from, m.index);
        from = m.index + m[0].length;
      }
      MARKERS.lastIndex = 0;
    }
    segment(from, text.length);
    return spans;
  }

  function replace(text: string, found: ReturnType<typeof scan>, hits: TextHit[]): string {
    found.sort((x, y) => x.start - y.start || y.end - x.end || x.rank - y.rank);
    let out = '';
    let at = 0;
    for (let i = 0; i < found.length; ) {
      let { start, end, rank } = found[i] as (typeof found)[number];
      // Merge everything that overlaps: an overlap is never left half visible.
      for (i++; i < found.length && (found[i] as (typeof found)[number]).start < end; i++) {
        const next = found[i] as (typeof found)[number];
        end = Math.max(end, next.end);
        rank = Math.min(rank, next.rank);
      }
      const kind = (detectors[rank] as Detector).kind;
      const marker = mark(kind, text.slice(start, end));
      hits.push({ kind, marker });
      out += text.slice(at, start) + marker;
      at = end;
    }
    return out + text.slice(at);
  }

  /** `text` with every finding replaced, and the hits in order. */
  return function redactText(text: string): { text: string; hits: readonly TextHit[] } {
    const hits: TextHit[] = [];
    let current = text;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const found = scan(current);
      if (found.length === 0) return { text: current, hits };
      current = replace(current, found, hits);
    }
    const marker = mark('unstable', text);
    return { text: marker, hits: [{ kind: 'unstable', marker }] };
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with each lone surrogate replaced by U+FFFD, so that it can be written as JSON (RFC 8785 refuses them). */
export function wellFormed(text: string): string {
  // Most text has no surrogate at all: one fast test, and the lookaround pattern only when needed.
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

const SURROGATE = /[\uD800-\uDFFF]/;
