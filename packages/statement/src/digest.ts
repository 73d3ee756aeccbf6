import { canonicalize } from './canonical.js';
import { sha256Hex, sha256HexOfText } from './hash.js';

/** `sha256:` and 64 lower-case hex digits: the form of every digest AgentGuard writes. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * `'sha256:' + hex(SHA-256(bytes))`.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

/**
 * The digest that binds a signed statement to a call's arguments:
 * `'sha256:' + hex(SHA-256(JCS(args)))` (RFC 8785 canonical JSON, FIPS 180-4).
 * Call envelopes, approvals and audit records all use this one function.
 *
 * @param args - plain JSON data.
 * @returns e.g. `'sha256:44136fa3…'`.
 * @throws StatementError `ERR_STATEMENT_JSON_UNSUPPORTED_VALUE`, `ERR_STATEMENT_JSON_CYCLE` or `ERR_STATEMENT_JSON_TOO_DEEP`.
 * @example
 * ```ts
 * digestArgs({ b: 1, a: 2 }) === digestArgs({ a: 2, b: 1 }); // true
 * ```
 */
export function digestArgs(args: unknown): string {
  return digestCanonicalText(canonicalize(args));
}

/**
 * {@link digestArgs} of a value whose canonical text is already at hand, so a caller
 * that also needs the text canonicalises once.
 *
 * @param text - RFC 8785 canonical JSON text (as `canonicalize` returns).
 * @throws TypeError when `text` is not a string.
 */
export function digestCanonicalText(text: string): string {
  return `sha256:${sha256HexOfText(text)}`;
}

/** A tool as the model sees it: what {@link digestToolDefinition} digests. */
export interface ToolDefinitionParts {
  readonly name: string;
  /** @default null */
  readonly description?: string | null | undefined;
  /** The input schema as JSON (JSON Schema). @default null */
  readonly schema?: unknown;
  /** A display name (MCP `title`): digested only when given. @default undefined */
  readonly title?: string | null | undefined;
  /** The output schema as JSON (MCP `outputSchema`): digested only when given. @default undefined */
  readonly outputSchema?: unknown;
  /** Hints a host acts on, as JSON (MCP `annotations`, e.g. `readOnlyHint`): digested only when given. @default undefined */
  readonly annotations?: unknown;
}

/** The parts digested only when present, so a definition without them keeps the digest it always had. */
const OPTIONAL_PARTS = ['title', 'outputSchema', 'annotations'] as const;

/**
 * The digest of a tool definition: `sha256:` of the RFC 8785 canonical JSON of `{ name, description, schema }`
 * (absent parts as `null`), with `title`, `outputSchema` and `annotations` added as members only when given (not
 * `undefined` or `null`): a definition without them has the digest it had before they were covered, so stored pins
 * and attestations still match, and one with them differs from one without. The one definition digest of the
 * project: a guard's `attestation` records, the monitor's `toolDigest`, `agentguard attest` and the MCP adapter's
 * pins all use it, so a pin made by any of them fits the others, and an MCP server's changed tool definition
 * (description, schemas, title or annotations) is an attestation change like any other.
 *
 * @throws TypeError when `name` is not a non-empty string; StatementError when a schema or the annotations are not
 *   JSON.
 * @example
 * ```ts
 * digestToolDefinition({ name: 'search', description: 'Search the web', schema: { type: 'object' } }); // 'sha256:…'
 * ```
 */
export function digestToolDefinition(tool: ToolDefinitionParts): string {
  if (typeof tool?.name !== 'string' || tool.name === '')
    throw new TypeError('"tool.name" expected a non-empty string');
  const parts: Record<string, unknown> = {
    name: tool.name,
    description: tool.description ?? null,
    schema: tool.schema ?? null,
  };
  for (const key of OPTIONAL_PARTS) {
    const value = tool[key];
    if (value !== undefined && value !== null) parts[key] = value;
  }
  return digestArgs(parts);
}
