import { MAX_ENVELOPE_CHARS, canonicalize } from '@agentguard/statement';
import { createRedactor, type Redactor } from '@agentguard/audit';

/**
 * Longest free-text string core returns to a caller or a model (a Denial's `reason`, a CheckResult's
 * `reason`, a tool's error text) or writes into an audit record (reasons, issue messages, error messages),
 * in UTF-16 code units, truncation marker included. A longer text is cut and ends with
 * `…[truncated: <n> chars in all]`.
 */
export const TEXT_MAX_CHARS = 2_048;

/** Longest identifier-like string core writes or returns (rule ids, issue paths, codes), marker included. */
export const ID_MAX_CHARS = 256;

/**
 * Largest arguments core writes into a `call.requested` record, in UTF-8 bytes of their redacted canonical
 * JSON. Larger arguments are recorded by digest only, with `argsOmitted: { reason: 'too-large', bytes }` in
 * place of `args`, so a call can never make a record near the audit log's `RECORD_MAX_BYTES`.
 */
export const ARGS_RECORD_MAX_BYTES = 262_144;

/** Longest text handed to the redactor: past it the text is cut first (then redacted, then bounded). */
const SCAN_MAX_CHARS = 16_384;
/** Longest text whose cleaned form a cleaner keeps, and how many it keeps. */
const KEEP_MAX_CHARS = 512;
const KEEP_MAX_ENTRIES = 1_024;
/** Most validation issues written or returned for one call. */
export const MAX_ISSUES = 20;
/** Most rule ids of a decision's `matched` written into a record. */
const MAX_MATCHED = 64;

/**
 * `text`, at most `max` UTF-16 code units, ending with a visible marker when it was cut.
 * A surrogate pair is never split.
 */
export function boundText(text: string, max: number = TEXT_MAX_CHARS, total: number = text.length): string {
  if (text.length <= max && total === text.length) return text;
  const marker = `…[truncated: ${total} chars in all]`;
  let keep = Math.max(0, Math.min(text.length, max - marker.length));
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep--;
  return `${text.slice(0, keep)}${marker}`.slice(0, Math.max(max, marker.length));
}

/** A string of any thrown or returned value, never throwing (a hostile `toString` or `message` getter). */
export function textOf(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (value instanceof Error) {
      const msg = value.message;
      return typeof msg === 'string' ? msg : String(msg);
    }
    return String(value);
  } catch {
    return '[unprintable value]';
  }
}

/** Redacts and bounds every free-text string core writes or returns; one function for all of them. */
export interface TextCleaner {
  /** `text` with secrets and personal data replaced by typed markers, then bounded to `max` (a marker shows a cut). */
  clean(text: unknown, max?: number): string;
  /** {@link TextCleaner.clean} of each rule id, at most 64 of them. */
  ids(values: readonly unknown[]): string[];
}

/**
 * Builds the text cleaner of a guard. It uses the guard's redactor, or (with `redaction: false`, which turns
 * off the redaction of arguments) a detector-only redactor of its own: reasons and error texts are where
 * secrets leak by accident, so they are always scanned.
 */
export function createTextCleaner(redactor: Redactor | undefined): TextCleaner {
  const scanner = redactor ?? createRedactor({ keys: [] });
  // The same short texts come back on every call (a rule's reason and id, a session id): their cleaned form is
  // kept. Redaction is a pure function of the text and the guard's key, so a kept answer is the answer.
  const kept = new Map<string, string>();
  function clean(input: unknown, max: number = TEXT_MAX_CHARS): string {
    if (typeof input !== 'string' || input.length > KEEP_MAX_CHARS) return cleanOnce(input, max);
    const key = `${max}:${input}`;
    let cleaned = kept.get(key);
    if (cleaned === undefined) {
      cleaned = cleanOnce(input, max);
      if (kept.size >= KEEP_MAX_ENTRIES) kept.clear();
      kept.set(key, cleaned);
    }
    return cleaned;
  }
  function cleanOnce(input: unknown, max: number): string {
    const text = textOf(input);
    let scanned = text;
    if (text.length > SCAN_MAX_CHARS) {
      // Cut before scanning (a detector on megabytes is slow), and drop the token the cut went through:
      // a secret split there would no longer be recognised, and its first half must not be kept.
      scanned = text.slice(0, SCAN_MAX_CHARS).replace(/\S+$/u, '');
    }
    let redacted: string;
    try {
      const { value } = scanner.redact(scanned);
      redacted = typeof value === 'string' ? value : '[REDACTED]';
    } catch {
      redacted = '[REDACTED]';
    }
    return boundText(redacted, max, scanned === text ? redacted.length : text.length);
  }
  return Object.freeze({
    clean,
    ids: (values: readonly unknown[]) => values.slice(0, MAX_MATCHED).map((v) => clean(v, ID_MAX_CHARS)),
  });
}

/**
 * The arguments as a record holds them: the redacted value when its canonical JSON is within
 * {@link ARGS_RECORD_MAX_BYTES}, else a marker saying why and how big.
 */
export function recordableArgs(
  redacted: unknown,
): { args: unknown } | { argsOmitted: { reason: 'too-large' | 'not-json'; bytes?: number } } {
  let text: string | undefined;
  try {
    // Only the size is needed: JSON.stringify (native) gives the canonical form's length, members reordered.
    // Nesting needs no check: the value was canonicalised at depth 64, and a record holds it at depth 3.
    text = JSON.stringify(redacted);
  } catch {
    text = undefined;
  }
  if (text === undefined) return { argsOmitted: { reason: 'not-json' } };
  const bytes = utf8Length(text);
  if (bytes > ARGS_RECORD_MAX_BYTES) return { argsOmitted: { reason: 'too-large', bytes } };
  return { args: redacted };
}

/** UTF-8 length without encoding: 1 byte below U+0080, 2 below U+0800, 4 a surrogate pair, else 3. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return bytes;
}

/**
 * A rejected call envelope as a record holds it: the envelope when its canonical JSON is at most
 * `MAX_ENVELOPE_CHARS` (what an envelope may be), else `envelopeOmitted` with why and how big.
 */
export function envelopeForRecord(
  envelope: unknown,
): { envelope: unknown } | { envelopeOmitted: { reason: 'too-large' | 'too-deep' | 'not-json'; bytes?: number } } {
  if (envelope === undefined) return { envelopeOmitted: { reason: 'not-json' } };
  let text: string;
  try {
    text = canonicalize(envelope, { maxDepth: 8 });
  } catch (error) {
    // By code, not class: two installed copies of the statement package break instanceof.
    const deep = (error as { code?: unknown } | null)?.code === 'ERR_STATEMENT_JSON_TOO_DEEP';
    return { envelopeOmitted: { reason: deep ? 'too-deep' : 'not-json' } };
  }
  const bytes = utf8Length(text);
  return bytes > MAX_ENVELOPE_CHARS ? { envelopeOmitted: { reason: 'too-large', bytes } } : { envelope };
}
