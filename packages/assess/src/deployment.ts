import { ISOLATION_LEVELS, type Policy, parsePolicy, RISK_TIERS } from '@agentguard/policy';
import { parseJson } from '@agentguard/statement';
import { z } from 'zod';
import { AssessError } from './errors.js';

/**
 * What a deployment is made of, as `agentguard assess` reads it: the guard's tools, its policy, how its agents
 * hold their keys, its sinks, its checkpoint, revocation and redaction settings, and its mode since when. Every
 * object is strict (a misspelt field is an error, never a silently skipped check); times are RFC 3339.
 */

const name = z.string().min(1).max(256);
const names = z.array(name).max(1024);
const time = z.iso.datetime({ offset: true });

/** One guarded tool, as declared to `guard()`. */
export const deploymentToolSchema = z
  .object({
    name,
    description: z.string().max(4096).optional(),
    tags: names.optional(),
    labels: names.optional(),
    sensitive: z.boolean().optional(),
    isolation: z.enum(ISOLATION_LEVELS).optional(),
    risk: z.enum(RISK_TIERS).optional(),
    /** Whether the tool's definition is pinned (attestation of the guard compares it with a pinned digest). */
    pinned: z.boolean().optional(),
    /** What happens when the log cannot write. @default 'closed' */
    auditFailure: z.enum(['closed', 'open']).optional(),
  })
  .strict();

/** Where an agent's signing key lives. */
export const KEY_KINDS = Object.freeze(['signer-process', 'local-key', 'env', 'ephemeral'] as const);

/** One of {@link KEY_KINDS}. */
export type KeyKind = (typeof KEY_KINDS)[number];

/** One agent of the deployment. */
export const deploymentAgentSchema = z
  .object({
    name,
    /** Its `did:key`, when known (log records name agents by it). */
    id: z.string().min(1).max(256).optional(),
    /** Where its key lives: a signer process (the key never enters the agent), a key file, an environment variable, or a key made at start-up. */
    key: z.enum(KEY_KINDS),
    /** The tools it is given. @default every tool */
    tools: names.optional(),
  })
  .strict();

/** The deployment description, version 1. */
export const deploymentSchema = z
  .object({
    version: z.literal(1),
    name,
    tools: z.array(deploymentToolSchema).max(10_000),
    /** The policy document (validated as `parsePolicy` validates it). */
    policy: z.unknown(),
    agents: z.array(deploymentAgentSchema).max(10_000),
    sinks: z
      .array(z.object({ kind: z.enum(['file', 'rotating-file', 'memory', 'console', 'otel', 'remote']) }).strict())
      .max(64)
      .optional(),
    checkpoints: z
      .object({
        /** Whether the log writes signed checkpoints. */
        enabled: z.boolean(),
        /** Where checkpoints are shipped for witnessing (absent: they never leave the host). */
        witness: z.string().min(1).max(2048).optional(),
        /** When a checkpoint was last shipped to it. */
        lastShippedAt: time.optional(),
      })
      .strict()
      .optional(),
    revocation: z
      .object({
        /** When the revocation list in use was fetched. */
        fetchedAt: time.optional(),
        /** When it expires; `null`: it never does. */
        expiresAt: time.nullable(),
      })
      .strict()
      .optional(),
    redaction: z.object({ enabled: z.boolean() }).strict().optional(),
    mode: z
      .object({ value: z.enum(['enforce', 'monitor', 'off']), since: time.optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.tools.forEach((t, i) => {
      if (seen.has(t.name))
        ctx.addIssue({ code: 'custom', path: ['tools', i, 'name'], message: 'duplicate tool name' });
      seen.add(t.name);
    });
    const agents = new Set<string>();
    d.agents.forEach((a, i) => {
      if (agents.has(a.name))
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'name'], message: 'duplicate agent name' });
      agents.add(a.name);
    });
  });

/** One tool of a {@link Deployment}. */
export type DeploymentTool = z.infer<typeof deploymentToolSchema>;
/** One agent of a {@link Deployment}. */
export type DeploymentAgent = z.infer<typeof deploymentAgentSchema>;
/** A deployment description as written, before validation. */
export type DeploymentInput = z.input<typeof deploymentSchema>;
/** A validated deployment: its policy parsed. */
export type Deployment = Omit<z.infer<typeof deploymentSchema>, 'policy'> & { readonly policy: Policy };

/** Largest deployment text {@link parseDeploymentText} reads. */
export const MAX_DEPLOYMENT_BYTES = 16 * 1024 * 1024;

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid deployment';
  const path = issue.path.map(String).join('.');
  return `${path === '' ? 'deployment' : path}: ${issue.message}`;
}

/**
 * Validates a deployment description (a plain value, e.g. what a config module exports).
 *
 * @param value - the description.
 * @returns the validated deployment, its policy parsed.
 * @throws AssessError `ERR_ASSESS_DEPLOYMENT_INVALID` naming the first problem.
 * @example
 * ```ts
 * const deployment = parseDeployment({ version: 1, name: 'demo', tools: [], agents: [], policy: { version: 1, rules: [] } });
 * ```
 */
export function parseDeployment(value: unknown): Deployment {
  const parsed = deploymentSchema.safeParse(value);
  if (!parsed.success) {
    throw new AssessError('ERR_ASSESS_DEPLOYMENT_INVALID', `invalid deployment: ${issueText(parsed.error)}`);
  }
  let policy: Policy;
  try {
    policy = parsePolicy(parsed.data.policy);
  } catch (error) {
    throw new AssessError('ERR_ASSESS_DEPLOYMENT_INVALID', `invalid deployment: policy: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return Object.freeze({ ...parsed.data, policy });
}

/**
 * Parses a deployment description from JSON text (strict parser: duplicate keys, `__proto__`, too deep or too
 * large text are refused).
 *
 * @param text - the JSON text.
 * @throws AssessError `ERR_ASSESS_DEPLOYMENT_INVALID`.
 */
export function parseDeploymentText(text: string): Deployment {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`);
  let value: unknown;
  try {
    value = parseJson(text, { maxBytes: MAX_DEPLOYMENT_BYTES, maxDepth: 64 });
  } catch (error) {
    throw new AssessError('ERR_ASSESS_DEPLOYMENT_INVALID', `deployment is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseDeployment(value);
}
