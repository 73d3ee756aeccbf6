import { normaliseOptions, type SandboxOptions } from './options.js';
import { type CallContext, createRunner } from './runner.js';

/** A sandboxed tool function: pass `execute` as a ToolSpec's `execute` to guard(). */
export interface SandboxedTool {
  /** Runs the tool in a sandbox with the (already decided, frozen) arguments. */
  execute(args: unknown, ctx: CallContext): Promise<unknown>;
  /** Kills the warm processes and closes the egress broker. */
  close(): Promise<void>;
}

/**
 * Wraps a tool module so each call runs in a sandboxed process: a warm pool of Node processes with the
 * permission model (and bubblewrap namespaces for `isolation: 'bwrap'`), a heap cap and RSS watchdog, a
 * deadline (SIGKILL), bounded output and result, and egress only through the broker. Compose it with
 * guard(): the guard validates, signs, decides and audits; the decided arguments cross as canonical JSON.
 *
 * @throws TypeError / RangeError on bad options; SandboxError `ERR_SANDBOX_UNAVAILABLE` when the runner
 *   cannot run here. Calls reject with SandboxError (`ERR_SANDBOX_DEADLINE`, `_MEMORY`, `_OUTPUT`,
 *   `_CRASHED`, `_TOOL_FAILED`, `_BAD_VALUE`, `_ABORTED`, `_CLOSED`).
 * @example
 * ```ts
 * const fetchPage = sandboxed({
 *   tool: 'fetch_page',
 *   module: new URL('./tools/fetch-page.js', import.meta.url),
 *   isolation: 'bwrap',
 *   egress: { allow: [{ host: 'docs.example.com' }] },
 *   onEvent: auditSandboxEvents({ log: audit, signer: identity }),
 * });
 * const tool = ag.guard({ name: 'fetch_page', schema, execute: fetchPage.execute });
 * ```
 */
export function sandboxed(options: SandboxOptions): SandboxedTool {
  const runner = createRunner(normaliseOptions(options));
  return Object.freeze({
    execute: (args: unknown, ctx: CallContext) => runner.run(args, ctx),
    close: () => runner.close(),
  });
}
