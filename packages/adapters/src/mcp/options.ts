import type { Guard, StandardSchemaV1 } from '@agentguard/core';
import type { Signer } from '@agentguard/identity';
import { checkRisk, isGuardableName, type ToolRisk } from '../common/tools.js';

/** Policy facts about one remote tool (MCP definitions do not carry them). */
export interface McpToolFacts {
  /** @default [] */
  readonly tags?: readonly string[];
  /** @default [] */
  readonly labels?: readonly string[];
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** @default false */
  readonly sensitive?: boolean;
  /**
   * The tool's risk tier, replacing the one the guard computes from tags, labels and sensitivity (a remote tool
   * without facts computes as `low`): declare `high` or `critical` for tools that act, so a stale kill-switch
   * status refuses them and policy `tiers` rules see them. @default computed
   */
  readonly risk?: ToolRisk;
  /**
   * A schema to validate arguments with before the call leaves the process (the server validates too).
   * Needs `identity` in {@link guardMcpClient}'s options (the adapter signs what the schema outputs).
   * @default any JSON object
   */
  readonly schema?: StandardSchemaV1;
}

const PIN_METHODS = ['observe', 'get', 'isChanged', 'changed', 'approve', 'snapshot'] as const;

function stringList(value: unknown, label: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`"${label}" expected an array of strings`);
  }
}

function checkFacts(name: string, fact: unknown): void {
  const label = `tools.${name}`;
  if (!isGuardableName(name)) {
    throw new TypeError(`"tools" expected tool names of 1 to 128 [A-Za-z0-9_.:-], got ${JSON.stringify(name)}`);
  }
  if (typeof fact !== 'object' || fact === null) throw new TypeError(`"${label}" expected an object`);
  const f = fact as Record<string, unknown>;
  stringList(f.tags, `${label}.tags`);
  stringList(f.labels, `${label}.labels`);
  const timeoutMs = f.timeoutMs;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new RangeError(`"${label}.timeoutMs" expected a positive number, got ${String(timeoutMs)}`);
  }
  if (f.sensitive !== undefined && typeof f.sensitive !== 'boolean') {
    throw new TypeError(`"${label}.sensitive" expected a boolean, got ${typeof f.sensitive}`);
  }
  checkRisk(f.risk, `${label}.risk`);
  const schema = f.schema as { '~standard'?: { validate?: unknown } } | null | undefined;
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw new TypeError(`"${label}.schema" expected a Standard Schema (zod 4, valibot, arktype)`);
  }
}

/**
 * @internal Validates `guardMcpClient`'s options when the client is made, so a misconfiguration throws there,
 * not at the first call: the guard, the identity (the guard's own agent, and present whenever a tool has a
 * `schema`, since the adapter then signs the schema's output), the pin store and every tool's facts.
 * @throws TypeError / RangeError naming the option.
 */
export function checkMcpClientOptions(options: {
  readonly guard?: unknown;
  readonly identity?: unknown;
  readonly pins?: unknown;
  readonly tools?: unknown;
}): { readonly guard: Guard; readonly identity: Signer | undefined; readonly facts: Map<string, McpToolFacts> } {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const guard = options.guard as Guard | null | undefined;
  if (typeof guard?.guard !== 'function' || typeof guard.agent !== 'string') {
    throw new TypeError('"guard" expected a Guard (createGuard())');
  }
  const identity = options.identity as Signer | null | undefined;
  if (identity !== undefined && (typeof identity?.sign !== 'function' || identity.id !== guard.agent)) {
    throw new TypeError('"identity" expected the Signer of the guard\'s agent');
  }
  const pins = options.pins as Record<string, unknown> | null | undefined;
  if (
    pins !== undefined &&
    (typeof pins !== 'object' || pins === null || PIN_METHODS.some((m) => typeof pins[m] !== 'function'))
  ) {
    throw new TypeError('"pins" expected a pin store (createToolPins())');
  }
  const tools = options.tools;
  if (tools !== undefined && (typeof tools !== 'object' || tools === null || Array.isArray(tools))) {
    throw new TypeError('"tools" expected a record of tool facts by name');
  }
  const facts = new Map<string, McpToolFacts>();
  for (const [name, fact] of Object.entries(tools ?? {})) {
    checkFacts(name, fact);
    if ((fact as McpToolFacts).schema !== undefined && identity === undefined) {
      throw new TypeError(`"identity" expected when "tools.${name}.schema" is given (the adapter signs its output)`);
    }
    facts.set(name, Object.freeze({ ...(fact as McpToolFacts) }));
  }
  return { guard, identity: identity ?? undefined, facts };
}
