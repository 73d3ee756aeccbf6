import { isEgressGrant, isGrantPath } from '../isolation/grants.js';
import { ISOLATION_LEVELS } from '../isolation/levels.js';
import { RISK_TIERS } from '../tools/risk.js';
import { isToolPattern } from '@agentguard/statement';
import { z } from 'zod';
import { MAX_GLOB_LENGTH } from '../match/glob.js';
import { compileIpRanges } from '../match/ip.js';
import { compilePathPrefix, MAX_PATH_LENGTH } from '../match/path.js';
import { parsePointer } from '../match/pointer.js';
import { compileSafeRegex, MAX_REGEX_LENGTH } from '../match/safe-regex.js';

/**
 * The policy document, version 1, as zod schemas. Every object is `.strict()`
 * (unknown fields are rejected, so a typo never silently widens a rule) and no
 * field has a default, so the parsed policy is exactly the JSON that was
 * written and its hash is the hash of what its author reviewed.
 */

const glob = z.string().min(1).max(MAX_GLOB_LENGTH);
const globs = z.array(glob).min(1).max(1024);
/** Tool patterns: the one tool-name grammar of `@agentguard/statement`, as credentials and the guard use it. */
const toolGlob = glob.refine(isToolPattern, {
  message: "expected a tool pattern: 1 to 128 characters from A-Z a-z 0-9 _ . : - and '*' (no '**', no '?')",
});
const toolGlobs = z.array(toolGlob).min(1).max(1024);
const names = z.array(z.string().min(1).max(256)).min(1).max(256);
const count = z.int().min(0);

function pointerIssue(pointer: string): string | undefined {
  try {
    parsePointer(pointer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** An RFC 6901 JSON pointer into the call's arguments, e.g. `/amount` or `/to/0/email`. */
export const pointerSchema = z
  .string()
  .max(1024)
  .superRefine((pointer, ctx) => {
    const problem = pointerIssue(pointer);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Tests on one argument value; every test given must hold. A missing
 * argument fails every test but `exists: false`. A value of the wrong type
 * (or one a test cannot judge, such as an unparsable URL) makes the
 * condition undecided: an `allow` rule then does not apply, and a `deny` or
 * `require_approval` rule does (fail closed).
 */
export const conditionSchema = z
  .object({
    /** Deep equality with this JSON value. */
    eq: z.json().optional(),
    /** Deep equality with one of these values. */
    in: z.array(z.json()).min(1).max(10_000).optional(),
    /** A string matching one of these globs. */
    glob: globs.optional(),
    /** A string in which this pattern is found (linear-time engine; anchor with `^…$`). */
    regex: z.string().min(1).max(MAX_REGEX_LENGTH).optional(),
    /** `i` for a case-insensitive `regex`. */
    regexFlags: z.literal('i').optional(),
    /** A number ≥ min. */
    min: z.number().optional(),
    /** A number ≤ max. */
    max: z.number().optional(),
    /** A string of at least / at most this many UTF-16 code units. */
    minLength: count.optional(),
    maxLength: count.optional(),
    /** An array of at least / at most this many items. */
    minItems: count.optional(),
    maxItems: count.optional(),
    /**
     * An absolute path lying inside one of these directories, read as the OS reads it
     * (`..`, `\\` on POSIX, relative, NUL, percent-encoded separators: undecided).
     */
    pathPrefix: z.array(z.string().min(1).max(MAX_PATH_LENGTH)).min(1).max(256).optional(),
    /** How `pathPrefix` reads paths: `posix` (`/`-separated) or `windows` (`C:\\dir`, case-insensitive). @default 'posix' */
    pathStyle: z.enum(['posix', 'windows']).optional(),
    /** A URL (written unambiguously) whose host matches one of these globs (case-insensitive), e.g. `*.example.com`. */
    urlHost: globs.optional(),
    /** A URL (written unambiguously) whose host is an IP address in one of these ranges (names or CIDRs). */
    urlIp: z.array(z.string().min(1).max(64)).min(1).max(256).optional(),
    /** A host name or IP address (any notation) in one of these ranges (names or CIDRs). */
    ip: z.array(z.string().min(1).max(64)).min(1).max(256).optional(),
    /** Whether the argument must be present (`true`) or absent (`false`). */
    exists: z.boolean().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Object.keys(c).filter((k) => k !== 'regexFlags' && k !== 'pathStyle').length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a condition needs at least one test' });
    }
    if (c.pathStyle !== undefined && c.pathPrefix === undefined) {
      ctx.addIssue({ code: 'custom', path: ['pathStyle'], message: '"pathStyle" needs "pathPrefix"' });
    }
    c.pathPrefix?.forEach((prefix, i) => {
      try {
        compilePathPrefix(prefix, c.pathStyle ?? 'posix');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['pathPrefix', i], message: (error as Error).message });
      }
    });
    for (const key of ['urlIp', 'ip'] as const) {
      c[key]?.forEach((range, i) => {
        try {
          compileIpRanges([range]);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: [key, i], message: (error as Error).message });
        }
      });
    }
    if (c.regexFlags !== undefined && c.regex === undefined) {
      ctx.addIssue({ code: 'custom', path: ['regexFlags'], message: '"regexFlags" needs "regex"' });
    }
    if (c.regex !== undefined) {
      try {
        compileSafeRegex(c.regex, c.regexFlags ?? '');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: (error as Error).message });
      }
    }
  });

/** Attributes of the agent's credential that a rule requires. */
export const subjectSchema = z
  .object({
    owner: globs.optional(),
    environment: globs.optional(),
    riskTier: names.optional(),
    /** The agent must hold every one of these scopes. */
    scopes: names.optional(),
    maxDelegationDepth: count.optional(),
  })
  .strict();

const grantPathMessage = {
  message: "expected a normalised absolute directory (no '.', '..', '//', trailing '/' or '*')",
};

const limitObligations = {
  maxResultBytes: z.int().positive().optional(),
  timeoutMs: z.int().positive().optional(),
  /**
   * The weakest isolation the tool may run with (`none` < `process` < `bwrap`); a guard refuses a call whose
   * tool runs with less. Any other value fails the policy's validation.
   */
  isolation: z.enum(ISOLATION_LEVELS).optional(),
  /**
   * What a sandboxed tool may reach: a guard refuses a tool whose runner was configured with a path or a host
   * outside these (and any tool that is not sandboxed, since in-process code has no limits). Absent lists
   * grant nothing.
   */
  grants: z
    .object({
      read: z.array(z.string().refine(isGrantPath, grantPathMessage)).max(256).optional(),
      write: z.array(z.string().refine(isGrantPath, grantPathMessage)).max(256).optional(),
      egress: z
        .array(
          z.string().refine(isEgressGrant, {
            message: "expected 'host:port' (lower-case host or '*.' wildcard, port 1-65535)",
          }),
        )
        .max(256)
        .optional(),
    })
    .strict()
    .optional(),
};

/** What an allow decision obliges the caller to do. */
export const obligationsSchema = z
  .object({
    redact: z.array(pointerSchema).min(1).max(256).optional(),
    ...limitObligations,
  })
  .strict();

/**
 * Obligations of every decision that does not deny, merged with the matched rules' own (the strictest wins).
 * `redact` belongs on rules, where the fields it names are declared.
 */
export const defaultObligationsSchema = z.object(limitObligations).strict();

/**
 * A condition on the runtime monitor's verdict; every test given must hold. Without a verdict (the guard has
 * no monitor, or the monitor failed) the condition is undecided: an `allow` rule then does not apply, and a
 * `deny` or `require_approval` rule does (fail closed).
 */
export const monitorConditionSchema = z
  .object({
    /** The verdict's `flagged` equals this. */
    flagged: z.boolean().optional(),
    /** The call's score is at least this. */
    minScore: z.number().min(0).max(1e6).optional(),
    /** The call's score is at most this. */
    maxScore: z.number().min(0).max(1e6).optional(),
    /** At least one of these features fired (e.g. `value.ungrounded`, `attest.tool`). */
    features: names.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Object.keys(c).length === 0) ctx.addIssue({ code: 'custom', message: 'a monitor condition needs a test' });
  });

const clock = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'expected "HH:MM"');

/** A recurring time window; `from` later than `to` wraps past midnight. */
export const scheduleSchema = z
  .object({
    days: z.array(z.int().min(0).max(6)).min(1).max(7).optional(),
    from: clock.optional(),
    to: clock.optional(),
    utcOffsetMinutes: z
      .int()
      .min(-14 * 60)
      .max(14 * 60)
      .optional(),
  })
  .strict();

/** What a rule does when it matches. Precedence: deny > require_approval > allow > default deny. */
export const effectSchema = z.enum(['allow', 'deny', 'require_approval']);

/** How strictly a policy or rule is applied: `enforce`, `monitor` (record would-deny, allow), `off`. */
export const modeSchema = z.enum(['enforce', 'monitor', 'off']);

/** One rule of a policy. */
export const ruleSchema = z
  .object({
    /** Unique within the policy; named in every decision the rule makes. */
    id: z.string().min(1).max(128),
    effect: effectSchema,
    /** Human-readable text for the decision's reason. */
    reason: z.string().max(1024).optional(),
    /** Globs on the agent's id or name; absent means any agent. */
    agents: globs.optional(),
    /** Patterns on the tool name (the tool-name grammar of `@agentguard/statement`). */
    tools: toolGlobs,
    /** The rule applies only to tools carrying at least one of these tags. */
    tags: names.optional(),
    /** The rule applies only to tools carrying at least one of these data-flow labels. */
    labels: names.optional(),
    /**
     * The rule applies only to tools of one of these risk tiers (the guard computes each tool's tier). A call
     * whose tier is unknown leaves the rule undecided: an `allow` rule then does not apply, a `deny` or
     * `require_approval` rule does.
     */
    tiers: z.array(z.enum(RISK_TIERS)).min(1).max(4).optional(),
    /** The rule applies only once the session has called a tool carrying one of these labels. */
    taintedBy: names.optional(),
    /** Credential attributes the agent must have. */
    subject: subjectSchema.optional(),
    /** Conditions on the arguments, keyed by JSON pointer; all must hold. */
    when: z.record(z.string().max(1024), conditionSchema).optional(),
    /** When the rule applies. */
    schedule: scheduleSchema.optional(),
    /** A condition on the runtime monitor's verdict on the call. */
    monitor: monitorConditionSchema.optional(),
    /** Obligations attached when this rule allows (or requires approval). */
    obligations: obligationsSchema.optional(),
    /** This rule's mode; the policy's mode still caps it. @default the policy's mode */
    mode: modeSchema.optional(),
    /**
     * A `deny` rule that, when it matches (every condition true: a failed monitor does not suspend), also
     * suspends the agent in the guard that asked: its further calls are refused with
     * `ERR_GUARD_MONITOR_SUSPENDED` until an operator resumes it (`ag.resumeAgent`). Typically with a `monitor`
     * condition. @default false
     */
    suspendAgent: z.boolean().optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.suspendAgent === true && rule.effect !== 'deny') {
      ctx.addIssue({ code: 'custom', path: ['suspendAgent'], message: 'only a deny rule can suspend the agent' });
    }
    for (const key of Object.keys(rule.when ?? {})) {
      const problem = pointerIssue(key);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['when', key], message: problem });
    }
  });

/** A limit on calls: rate, token bucket, cumulative budget, or concurrency, counted per scope. */
export const limitSchema = z
  .object({
    /** Unique among limits and rules; named in the decision that a limit denies. */
    id: z.string().min(1).max(128),
    reason: z.string().max(1024).optional(),
    tools: toolGlobs,
    agents: globs.optional(),
    /** What is counted separately: per agent (default), tool, session, credential; `[]` counts all together. */
    per: z
      .array(z.enum(['agent', 'tool', 'session', 'credential']))
      .max(4)
      .optional(),
    /** At most `calls` calls per fixed window of `windowMs`. */
    rate: z
      .object({ calls: z.int().min(1), windowMs: z.int().min(1) })
      .strict()
      .optional(),
    /** Token bucket: bursts up to `capacity`, refilled at `refillPerSecond`. */
    tokenBucket: z
      .object({ capacity: z.number().positive(), refillPerSecond: z.number().positive() })
      .strict()
      .optional(),
    /** The sum of the numeric argument at `arg` may not exceed `max` per window of `windowMs`. */
    budget: z
      .object({ arg: pointerSchema, max: z.number().positive(), windowMs: z.int().min(1) })
      .strict()
      .optional(),
    /** At most this many calls in flight at once (released by `engine.release(decision)`). */
    concurrency: z.int().min(1).optional(),
    mode: modeSchema.optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.rate === undefined && l.tokenBucket === undefined && l.budget === undefined && l.concurrency === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a limit needs rate, tokenBucket, budget or concurrency' });
    }
  });

/** A policy document, version 1. */
export const policySchema = z
  .object({
    version: z.literal(1),
    id: z.string().min(1).max(128).optional(),
    description: z.string().max(4096).optional(),
    mode: modeSchema.optional(),
    /** Obligations of every call the policy allows (or sends for approval), e.g. `{ isolation: 'process' }`. */
    obligations: defaultObligationsSchema.optional(),
    rules: z.array(ruleSchema).max(1_000_000),
    limits: z.array(limitSchema).max(10_000).optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Map<string, string>();
    const check = (list: 'rules' | 'limits', id: string, index: number) => {
      const first = seen.get(id);
      if (first === undefined) seen.set(id, `${list}[${index}]`);
      else {
        ctx.addIssue({
          code: 'custom',
          path: [list, index, 'id'],
          message: `duplicate id ${JSON.stringify(id)} (first used at ${first})`,
        });
      }
    };
    policy.rules.forEach((rule, index) => {
      check('rules', rule.id, index);
    });
    policy.limits?.forEach((limit, index) => {
      check('limits', limit.id, index);
    });
  });

/** A rule's effect. */
export type Effect = z.infer<typeof effectSchema>;
/** A policy or rule mode. */
export type PolicyMode = z.infer<typeof modeSchema>;
/** One validated rule. */
export type PolicyRule = z.infer<typeof ruleSchema>;
/** A validated policy document (the output of {@link parsePolicy}). */
export type Policy = z.infer<typeof policySchema>;
/** A rate limit, budget or concurrency cap. */
export type Limit = z.infer<typeof limitSchema>;
/** Tests on one argument. */
export type Condition = z.infer<typeof conditionSchema>;
/** Credential attributes a rule requires. */
export type SubjectMatch = z.infer<typeof subjectSchema>;
/** A condition on the runtime monitor's verdict. */
export type MonitorCondition = z.infer<typeof monitorConditionSchema>;
/** A rule's time window. */
export type Schedule = z.infer<typeof scheduleSchema>;

/** `T` with every member, at every depth, read-only: what a function that only reads a document accepts. */
type ReadonlyDeep<T> = T extends readonly (infer U)[]
  ? readonly ReadonlyDeep<U>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

/**
 * A policy document as written in code, before it is validated: the shape of {@link Policy}, read-only at
 * every depth (so an `as const` literal fits). Typing a literal with it turns an unknown field, a misspelt
 * effect or a missing `tools` into a compile error; the checks no type can express (glob and pointer
 * syntax, duplicate ids, safe regular expressions) still run when it is parsed.
 */
export type PolicyDocument = ReadonlyDeep<z.input<typeof policySchema>>;
