import { markIsolation } from '@agentguard/policy/internal';
import { egressHostsOf } from './egress-policy.js';
import { normaliseOptions, type SandboxOptions } from './options.js';
import { type CallContext, createRunner } from './runner.js';

/** A sandboxed tool function: pass `execute` as a ToolSpec's `execute` to guard(). */
export interface SandboxedTool {
  /**
   * Runs the tool in a sandbox with the (already decided, frozen) arguments. A frozen function marked with
   * the runner's isolation, which guard() reads to check a policy's `isolation` obligation: pass it as it is
   * (a wrapper or a bound copy carries no mark, so it counts as `none`).
   */
  readonly execute: (args: unknown, ctx: CallContext) => Promise<unknown>;
  /** Kills the warm processes and closes the egress broker. */
  close(): Promise<void>;
}

/**
 * Wraps a tool module so each call runs in a sandboxed process: a warm pool of Node processes with the
 * permission model (and bubblewrap namespaces for `isolation: 'bwrap'`), a heap cap and RSS watchdog, a
 * deadline (SIGKILL), bounded output and result, and egress only through the broker. Compose it with
 * guard(): the guard validates, signs, decides and audits; the decided arguments cross as canonical JSON.
 * `execute` carries the runner's isolation, so a policy's `isolation` obligation can require it.
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
  const normal = normaliseOptions(options);
  const runner = createRunner(normal);
  // The mark says what this runner really is: the level it was created with, checked available above, and
  // the paths and hosts it was configured with, which a policy's `grants` obligation bounds.
  const execute = markIsolation((args: unknown, ctx: CallContext) => runner.run(args, ctx), normal.isolation, {
    read: normal.readPaths,
    write: normal.writePaths,
    egress: egressHostsOf(normal.egress),
  });
  return Object.freeze({
    execute,
    close: () => runner.close(),
  });
}
