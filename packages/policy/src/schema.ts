import { z } from 'zod';
import { MAX_GLOB_LENGTH } from './glob.js';

/**
 * The policy document, version 1, as zod schemas. Every object is `.strict()`
 * (unknown fields are rejected, so a typo never silently widens a rule) and no
 * field has a default, so the parsed policy is exactly the JSON that was
 * written and its hash is the hash of what its author reviewed.
 */

const glob = z.string().min(1).max(MAX_GLOB_LENGTH);
const globs = z.array(glob).min(1).max(1024);

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
    /** Globs on the tool name. */
    tools: globs,
  })
  .strict();

/** A policy document, version 1. */
export const policySchema = z
  .object({
    version: z.literal(1),
    id: z.string().min(1).max(128).optional(),
    description: z.string().max(4096).optional(),
    mode: modeSchema.optional(),
    rules: z.array(ruleSchema).max(1_000_000),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Map<string, number>();
    policy.rules.forEach((rule, index) => {
      const first = seen.get(rule.id);
      if (first === undefined) seen.set(rule.id, index);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'id'],
          message: `duplicate rule id ${JSON.stringify(rule.id)} (first used at rules[${first}])`,
        });
      }
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
