/**
 * Stable error codes of `@agentguard/viewer`. Codes are public API: switch on `error.code`, not on
 * `instanceof`, which fails when two copies of the package are installed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_VIEWER_PAGE_MISSING` | the built page (`dist/viewer.html`) is not there: the package was not built |
 * | `ERR_VIEWER_LOG_UNREADABLE` | `serveViewer` could not read the log (or witness) file it was given |
 */
export const VIEWER_ERROR_CODES = Object.freeze(['ERR_VIEWER_PAGE_MISSING', 'ERR_VIEWER_LOG_UNREADABLE'] as const);

/** One of {@link VIEWER_ERROR_CODES}. */
export type ViewerErrorCode = (typeof VIEWER_ERROR_CODES)[number];

/** The one error class of `@agentguard/viewer`. */
export class ViewerError extends Error {
  override readonly name = 'ViewerError';
  /** Stable, machine-readable code. */
  readonly code: ViewerErrorCode;

  constructor(code: ViewerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
