/** What an adapter does with a refused call (denied, invalid, failed, timed out). */
export type OnDenied = 'result' | 'throw';

/** Options every adapter takes. */
export interface AdapterOptions {
  /**
   * How a refusal reaches the framework: `'result'` hands the model the {@link Denial} JSON as the tool's
   * result, through the framework's own channel, so it can react; `'throw'` throws a `GuardError` instead
   * (what the framework then does with it differs between frameworks).
   * @default 'result'
   */
  readonly onDenied?: OnDenied;
}

/** @internal Options after validation. */
export interface NormalizedAdapterOptions {
  readonly onDenied: OnDenied;
}

/**
 * @internal Validates and freezes adapter options (misuse throws).
 * @throws TypeError when `onDenied` is neither `'result'` nor `'throw'`.
 */
export function normalizeAdapterOptions(options: AdapterOptions | undefined): NormalizedAdapterOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`"options" expected an object, got ${options === null ? 'null' : typeof options}`);
  }
  const onDenied = options?.onDenied ?? 'result';
  if (onDenied !== 'result' && onDenied !== 'throw') {
    throw new TypeError(`"onDenied" expected 'result' or 'throw', got ${JSON.stringify(onDenied)}`);
  }
  return Object.freeze({ onDenied });
}
