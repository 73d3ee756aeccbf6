import type { Signer } from '@agentguard/identity';
import { z } from 'zod';
import type { Alert } from './detector.js';
import { MonitorError } from './errors.js';
import { digestToolDefinition, isToolName } from '@agentguard/statement';
import { signBody, verifyBody } from './signature.js';

const DOMAIN = 'agentguard.monitor.attestation.v1';
const HASH = /^sha256:[0-9a-f]{64}$/;
const digest = z.string().regex(HASH);

/** A tool as the model sees it: what an MCP rug-pull changes. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** The argument schema as JSON (e.g. JSON Schema). */
  readonly schema?: unknown;
  /** A display name (an MCP tool's `title`); digested only when given. */
  readonly title?: string;
  /** The result schema as JSON (an MCP tool's `outputSchema`); digested only when given. */
  readonly outputSchema?: unknown;
  /** Hints a host acts on (an MCP tool's `annotations`, e.g. `readOnlyHint`); digested only when given. */
  readonly annotations?: unknown;
}

/** A signed statement of what is running: digests of tools, policy and code. */
export const AttestationSchema = z.strictObject({
  format: z.literal('agentguard.monitor.attestation'),
  version: z.literal(1),
  /** When it was made (RFC 3339). */
  at: z.string().min(1).max(64),
  /** Tool name to digest of its canonical `{ name, description, schema }`. */
  tools: z.record(z.string(), digest),
  /** The policy's hash (`policyHash` of @agentguard/policy), or null. */
  policy: digest.nullable(),
  /** File path to digest of its bytes: lockfile, entry files. */
  files: z.record(z.string(), digest),
  signer: z.string().min(1).max(200),
  sig: z.string().min(1).max(200),
});

/** A signed attestation. */
export type Attestation = z.infer<typeof AttestationSchema>;

/** What to attest. */
export interface AttestInput {
  readonly tools: readonly ToolDefinition[];
  /** `policyHash(policy)`. @default null */
  readonly policyHash?: string;
  /** Path to `sha256:` digest (see `digestFiles` in `@agentguard/monitor/node`). @default {} */
  readonly files?: Readonly<Record<string, string>>;
  /** Clock, epoch milliseconds (the one clock shape of the project, ADR 0008). @default Date.now */
  readonly clock?: () => number;
}

/**
 * The digest of one tool definition: `sha256:` of canonical `{ name, description, schema }`, with `title`,
 * `outputSchema` and `annotations` added when given (`digestToolDefinition` of `@agentguard/statement`, the one
 * definition digest of the project; the MCP adapter's pins carry the same digest).
 */
export function toolDigest(tool: ToolDefinition): string {
  return digestToolDefinition(tool);
}

/**
 * Attests what is running: digests of every guarded tool's definition, the policy hash and code
 * files, signed by `signer` (the guard's key). Write it as an `attestation` record at startup and
 * every N minutes; compare it with pinned values using {@link compareAttestation}.
 *
 * @param input - see {@link AttestInput}.
 * @param signer - the signing identity.
 * @returns the signed attestation.
 * @throws RangeError when a tool is not a tool name (`__proto__` among them) or is named twice, or a digest is malformed.
 * @example
 * ```ts
 * const att = await attest({ tools: [{ name: 'send_email', description, schema }], policyHash: policyHash(policy) }, identity);
 * const alerts = compareAttestation(pinned, att);
 * ```
 */
export async function attest(input: AttestInput, signer: Signer): Promise<Attestation> {
  const tools: Record<string, string> = {};
  for (const t of input.tools) {
    if (!isToolName(t.name))
      throw new RangeError(`"tools" has ${JSON.stringify(String(t.name).slice(0, 80))}, not a tool name`);
    if (Object.hasOwn(tools, t.name)) throw new RangeError(`"tools" has ${t.name} twice`);
    // Defined, not assigned: a tool named `__proto__` is a member like any other, not the object's prototype.
    own(tools, t.name, toolDigest(t));
  }
  const files: Record<string, string> = {};
  for (const [path, d] of Object.entries(input.files ?? {})) own(files, path, d);
  for (const [path, d] of Object.entries(files)) {
    if (!HASH.test(d)) throw new RangeError(`"files.${path}" expected sha256:<64 hex>, got ${d}`);
  }
  const policy = input.policyHash ?? null;
  if (policy !== null && !HASH.test(policy))
    throw new RangeError(`"policyHash" expected sha256:<64 hex>, got ${policy}`);
  const body = {
    format: 'agentguard.monitor.attestation' as const,
    version: 1 as const,
    at: new Date((input.clock ?? Date.now)()).toISOString(),
    tools,
    policy,
    files,
    signer: signer.id,
  };
  return { ...body, sig: await signBody(DOMAIN, body, signer) };
}

/**
 * Checks an attestation's shape and signature by a trusted key.
 *
 * @param value - parsed JSON.
 * @param trust - did:key ids allowed to attest.
 * @returns the attestation.
 * @throws MonitorError `ERR_MONITOR_ATTESTATION_INVALID`.
 */
export function verifyAttestation(value: unknown, trust: readonly string[]): Attestation {
  const parsed = AttestationSchema.safeParse(value);
  if (!parsed.success) throw new MonitorError('ERR_MONITOR_ATTESTATION_INVALID', 'not an attestation');
  const { sig, ...body } = parsed.data;
  if (!trust.includes(body.signer) || !verifyBody(DOMAIN, body, body.signer, sig)) {
    throw new MonitorError(
      'ERR_MONITOR_ATTESTATION_INVALID',
      `attestation signature by ${body.signer} does not verify or is not trusted`,
    );
  }
  return parsed.data;
}

function own(target: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The feature an attestation change is reported under. */
export type AttestationFeature = 'attest.tool' | 'attest.policy' | 'attest.file';

/** One difference between pinned and current values. */
export interface AttestationChange extends Omit<Alert, 'feature'> {
  readonly feature: AttestationFeature;
  /** The tool name or file path (or `policy`). */
  readonly subject: string;
}

function diff(
  feature: AttestationFeature,
  pinned: Readonly<Record<string, string>>,
  current: Readonly<Record<string, string>>,
  out: AttestationChange[],
): void {
  for (const [k, v] of Object.entries(pinned)) {
    // Own members only: a name such as `constructor` absent from `current` is absent, not Object's constructor.
    const now = Object.hasOwn(current, k) ? current[k] : undefined;
    if (now !== v) out.push({ feature, subject: k, expected: v, seen: now ?? 'absent' });
  }
  for (const [k, v] of Object.entries(current)) {
    if (!Object.hasOwn(pinned, k)) out.push({ feature, subject: k, expected: 'absent', seen: v });
  }
}

/**
 * Compares a current attestation with pinned values: every changed, added or removed tool
 * definition, file digest or policy hash is one change, with what was expected and what is seen.
 * The policy decides what a change does (alert or deny). An MCP server's changed tool description
 * is one case of `attest.tool`.
 *
 * @param pinned - the attestation (or its digests) pinned at deployment.
 * @param current - the one just made.
 * @returns the changes; empty when everything matches.
 */
export function compareAttestation(
  pinned: Pick<Attestation, 'tools' | 'policy' | 'files'>,
  current: Pick<Attestation, 'tools' | 'policy' | 'files'>,
): AttestationChange[] {
  const out: AttestationChange[] = [];
  diff('attest.tool', pinned.tools, current.tools, out);
  if (pinned.policy !== current.policy) {
    out.push({
      feature: 'attest.policy',
      subject: 'policy',
      expected: pinned.policy ?? 'none',
      seen: current.policy ?? 'none',
    });
  }
  diff('attest.file', pinned.files, current.files, out);
  return out;
}
