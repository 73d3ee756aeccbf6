import { parsePolicy } from './parse.js';
import type { Effect, Policy, PolicyMode, PolicyRule } from './schema.js';

/** One glob or several. */
export type Globs = string | readonly string[];

/** What a rule matches and says, for the builder helpers ({@link allow}, {@link deny}, {@link requireApproval}). */
export interface RuleOptions {
  /** Globs on the tool name. */
  readonly tools: Globs;
  /** Globs on the agent's id or name. @default any agent */
  readonly agents?: Globs;
  /** Human-readable text used as the decision's reason. @default generated from the rule */
  readonly reason?: string;
}

/** The JSON of one rule, as the builder produces it. */
export type RuleJson = Readonly<PolicyRule>;

/** What {@link definePolicy} takes. */
export interface PolicyInput {
  /** Policy id, for people and logs. */
  readonly id?: string;
  /** Free text. */
  readonly description?: string;
  /** @default 'enforce' */
  readonly mode?: PolicyMode;
  /** The rules, in order (order only breaks ties within one effect). */
  readonly rules: readonly RuleJson[];
}

function list(value: Globs): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

function rule(effect: Effect, id: string, options: RuleOptions): RuleJson {
  if (typeof id !== 'string') throw new TypeError(`"id" expected string, got ${typeof id}`);
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const out: PolicyRule = { id, effect, tools: list(options.tools) };
  if (options.agents !== undefined) out.agents = list(options.agents);
  if (options.reason !== undefined) out.reason = options.reason;
  return out;
}

/**
 * An `allow` rule.
 *
 * @example
 * ```ts
 * allow('read-files', { tools: 'read_*' });
 * ```
 */
export function allow(id: string, options: RuleOptions): RuleJson {
  return rule('allow', id, options);
}

/**
 * A `deny` rule (deny overrides every allow).
 *
 * @example
 * ```ts
 * deny('no-delete', { tools: 'delete_*', reason: 'deleting is never allowed' });
 * ```
 */
export function deny(id: string, options: RuleOptions): RuleJson {
  return rule('deny', id, options);
}

/** A `require_approval` rule: the call runs only after a human approves it. */
export function requireApproval(id: string, options: RuleOptions): RuleJson {
  return rule('require_approval', id, options);
}

/**
 * Builds a policy document from typed parts. The result is the same plain
 * JSON a policy file holds (version 1), validated and frozen.
 *
 * @param input - see {@link PolicyInput}.
 * @returns the validated policy.
 * @throws PolicyError `ERR_POLICY_INVALID` as {@link parsePolicy}.
 * @example
 * ```ts
 * const policy = definePolicy({
 *   id: 'support-bot',
 *   rules: [allow('read', { tools: 'read_*' }), deny('no-delete', { tools: 'delete_*', reason: 'never' })],
 * });
 * JSON.stringify(policy); // {"version":1,"id":"support-bot","rules":[…]}
 * ```
 */
export function definePolicy(input: PolicyInput): Policy {
  if (typeof input !== 'object' || input === null) throw new TypeError('"input" expected an object');
  const doc: Record<string, unknown> = { version: 1 };
  if (input.id !== undefined) doc.id = input.id;
  if (input.description !== undefined) doc.description = input.description;
  if (input.mode !== undefined) doc.mode = input.mode;
  doc.rules = input.rules;
  return parsePolicy(doc);
}
