/**
 * Stable error codes of `@agentguard/sandbox`. Codes are public API: switch on `error.code`, not on
 * `instanceof`, which fails when two copies of the package are installed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_SANDBOX_UNAVAILABLE` | the requested runner cannot run here (no bubblewrap, no permission model, not Linux) |
 * | `ERR_SANDBOX_DEADLINE` | the tool ran past its deadline and was killed |
 * | `ERR_SANDBOX_MEMORY` | the tool went over its memory cap (heap limit or RSS watchdog) and was killed |
 * | `ERR_SANDBOX_OUTPUT` | the tool wrote more to stdout/stderr than allowed, or its result was too large, and was killed |
 * | `ERR_SANDBOX_CRASHED` | the tool's process exited or died before returning a result |
 * | `ERR_SANDBOX_TOOL_FAILED` | the tool threw; the message crosses the boundary as text only |
 * | `ERR_SANDBOX_BAD_VALUE` | an argument or result is not plain JSON (or the child sent a malformed message) |
 * | `ERR_SANDBOX_ABORTED` | the caller aborted the call; the process was killed |
 * | `ERR_SANDBOX_CLOSED` | the runner was closed |
 * | `ERR_SANDBOX_EGRESS_DENIED` | the egress policy refused a connection |
 */
export const SANDBOX_ERROR_CODES = Object.freeze([
  'ERR_SANDBOX_UNAVAILABLE',
  'ERR_SANDBOX_DEADLINE',
  'ERR_SANDBOX_MEMORY',
  'ERR_SANDBOX_OUTPUT',
  'ERR_SANDBOX_CRASHED',
  'ERR_SANDBOX_TOOL_FAILED',
  'ERR_SANDBOX_BAD_VALUE',
  'ERR_SANDBOX_ABORTED',
  'ERR_SANDBOX_CLOSED',
  'ERR_SANDBOX_EGRESS_DENIED',
] as const);

/** One of {@link SANDBOX_ERROR_CODES}. */
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

/** The one error class of `@agentguard/sandbox`; `code` says what went wrong. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly code: SandboxErrorCode;

  /**
   * @param code - a stable {@link SandboxErrorCode}.
   * @param message - what was wrong, expected and received; never secrets.
   * @param options - `{ cause }`.
   */
  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
