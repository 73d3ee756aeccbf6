import { AttestationError } from './errors.js';

/**
 * The one clock shape of this package (ADR 0008): epoch milliseconds. One-shot calls take `nowMs?: number`;
 * long-lived objects take `clock?: () => number`, read on each use.
 */

/** @internal Whether `ms` is an instant a `Date` can hold (so `toISOString` cannot throw later). */
function isInstant(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

/**
 * @internal The one-shot `nowMs` option: the instant given, or the platform clock.
 * @throws TypeError when given and not a finite epoch millisecond a Date can hold (misuse).
 */
export function nowFrom(nowMs: unknown, name = 'nowMs'): number {
  if (nowMs === undefined) return Date.now();
  if (!isInstant(nowMs)) throw new TypeError(`"${name}" expected epoch milliseconds, got ${String(nowMs)}`);
  return nowMs;
}

/** @internal Checks a `clock` option once: a function, or the platform clock. */
export function clockFrom(clock: unknown, name = 'clock'): () => number {
  if (clock === undefined) return Date.now;
  if (typeof clock !== 'function') throw new TypeError(`"${name}" expected a function returning epoch milliseconds`);
  return clock as () => number;
}

/**
 * @internal Reads a clock. A clock that throws or answers anything but epoch milliseconds gives no time to
 * decide by, so the decision fails closed with a code rather than comparing against NaN (which every
 * `<` and `>` answers with false, i.e. "not expired").
 * @throws AttestationError `ERR_ATTESTATION_CLOCK_INVALID`.
 */
export function readClock(clock: () => number): number {
  let ms: unknown;
  try {
    ms = clock();
  } catch (cause) {
    throw new AttestationError('ERR_ATTESTATION_CLOCK_INVALID', 'the clock threw', { cause });
  }
  if (!isInstant(ms)) {
    throw new AttestationError(
      'ERR_ATTESTATION_CLOCK_INVALID',
      `the clock answered ${String(ms)}, not epoch milliseconds`,
    );
  }
  return ms;
}
