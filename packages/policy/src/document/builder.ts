import { parsePolicy } from './parse.js';
import type { Effect, Limit, Policy, PolicyMode, PolicyRule } from './schema.js';
import type { InputOf, StandardSchemaLike, WhenFor } from './typed.js';

/** One glob or several. */
export type Globs = string | readonly string[];

/**
 * What a rule matches and says, for the builder helpers ({@link allow},
 * {@link deny}, {@link requireApproval}). With `Args`, the `when` conditions
 * are typed from the tool's arguments (see {@link forTool}).
 */
export interface RuleOptions<Args = unknown> {
  /** Globs on the tool name. */
  readonly tools: Globs;
  /** Globs on the agent's id or name. @default any agent */
  readonly agents?: Globs;
  /** Human-readable text used as the decision's reason. @default generated from the rule */
  readonly reason?: string;
  /** Only tools with one of these tags. @default any tool */
  readonly tags?: readonly string[];
  /** Only tools with one of these data-flow labels. @default any tool */
  readonly labels?: readonly string[];
  /** Only tools of one of these risk tiers. @default any tool */
  readonly tiers?: PolicyRule['tiers'];
  /** Only once the session touched a tool with one of these labels. @default always */
  readonly taintedBy?: readonly string[];
  /** Credential attributes the agent must have. @default any agent */
  readonly subject?: PolicyRule['subject'];
  /** Argument conditions by JSON pointer; all must hold. @default none */
  readonly when?: WhenFor<Args>;
  /** Condition on the runtime monitor's verdict. @default none */
  readonly monitor?: PolicyRule['monitor'];
  /** Time window. @default always */
  readonly schedule?: PolicyRule['schedule'];
  /** Obligations when the rule allows. @default none */
  readonly obligations?: PolicyRule['obligations'];
  /** @default the policy's mode */
  readonly mode?: PolicyMode;
  /** A `deny` rule only: also suspend the agent in the guard when the rule matches. @default false */
  readonly suspendAgent?: boolean;
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
  /** Rate limits, budgets and concurrency caps. @default none */
  readonly limits?: readonly Limit[];
}

function list(value: Globs): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

const COPIED = [
  'tags',
  'labels',
  'tiers',
  'taintedBy',
  'subject',
  'when',
  'monitor',
  'schedule',
  'obligations',
  'mode',
  'suspendAgent',
] as const;

function rule<Args>(effect: Effect, id: string, options: RuleOptions<Args>): RuleJson {
  if (typeof id !== 'string') throw new TypeError(`"id" expected string, got ${typeof id}`);
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const out: Record<string, unknown> = { id, effect };
  if (options.reason !== undefined) out.reason = options.reason;
  if (options.agents !== undefined) out.agents = list(options.agents);
  out.tools = list(options.tools);
  // Copy only fields that are set, so the result is plain JSON (parsePolicy validates the rest).
  for (const key of COPIED) {
    const value = options[key];
    if (value !== undefined) out[key] = JSON.parse(JSON.stringify(value)) as unknown;
  }
  return out as RuleJson;
}

/**
 * An `allow` rule.
 *
 * @example
 * ```ts
 * allow('read-files', { tools: 'read_*' });
 * ```
 */
export function allow<Args = unknown>(id: string, options: RuleOptions<Args>): RuleJson {
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
export function deny<Args = unknown>(id: string, options: RuleOptions<Args>): RuleJson {
  return rule('deny', id, options);
}

/** A `require_approval` rule: the call runs only after a human approves it. */
export function requireApproval<Args = unknown>(id: string, options: RuleOptions<Args>): RuleJson {
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
  if (input.limits !== undefined) doc.limits = input.limits;
  return parsePolicy(doc);
}

/** Rule helpers whose `when` conditions are typed from one tool's arguments. */
export interface TypedRules<Args> {
  allow(id: string, options: RuleOptions<Args>): RuleJson;
  deny(id: string, options: RuleOptions<Args>): RuleJson;
  requireApproval(id: string, options: RuleOptions<Args>): RuleJson;
}

/**
 * Rule helpers typed from a tool's argument schema (any Standard Schema, e.g.
 * zod 4): a condition on a field the schema does not have, or a test that does
 * not fit the field's type (`min` on a string), is a compile error.
 *
 * @param schema - the tool's argument schema; only its type is used.
 * @example
 * ```ts
 * const transfer = forTool(z.object({ to: z.string(), amount: z.number() }));
 * transfer.allow('small-transfers', { tools: 'transfer', when: { '/amount': { max: 100 } } });
 * transfer.allow('typo', { tools: 'transfer', when: { '/amout': { max: 100 } } }); // compile error
 * ```
 */
export function forTool<S extends StandardSchemaLike>(schema: S): TypedRules<InputOf<S>> {
  if (typeof schema !== 'object' || schema === null || !('~standard' in schema)) {
    throw new TypeError('"schema" expected a Standard Schema (e.g. a zod schema)');
  }
  return Object.freeze({
    allow: (id: string, options: RuleOptions<InputOf<S>>) => rule('allow', id, options),
    deny: (id: string, options: RuleOptions<InputOf<S>>) => rule('deny', id, options),
    requireApproval: (id: string, options: RuleOptions<InputOf<S>>) => rule('require_approval', id, options),
  });
}
