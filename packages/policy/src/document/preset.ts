import { parsePolicy } from './parse.js';
import type { Policy } from './schema.js';

/** Options of {@link readOnlyPreset}. */
export interface ReadOnlyPresetOptions {
  /**
   * Policy id.
   * @default 'agentguard/read-only'
   */
  readonly id?: string;
  /**
   * Start in `monitor` mode to see what the agent would be denied before enforcing.
   * @default 'enforce'
   */
  readonly mode?: 'enforce' | 'monitor';
}

/**
 * A starter policy for the first days of a new agent: only tools tagged
 * `read` are allowed, and a tool that also carries `write`, `destructive`,
 * `payment` or `external` is denied even if tagged `read`. Everything else
 * falls to the default deny.
 *
 * @example
 * ```ts
 * const engine = createPolicyEngine(readOnlyPreset());
 * ```
 */
export function readOnlyPreset(options: ReadOnlyPresetOptions = {}): Policy {
  return parsePolicy({
    version: 1,
    id: options.id ?? 'agentguard/read-only',
    description: 'Starter policy: only tools tagged "read" are allowed.',
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    rules: [
      {
        id: 'read-only/allow-read',
        effect: 'allow',
        tools: ['*'],
        tags: ['read'],
        reason: 'read-only preset: tool is tagged "read"',
      },
      {
        id: 'read-only/deny-side-effects',
        effect: 'deny',
        tools: ['*'],
        tags: ['write', 'destructive', 'payment', 'external'],
        reason: 'read-only preset: tool has side effects',
      },
    ],
  });
}
