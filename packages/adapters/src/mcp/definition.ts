import { canonicalize } from '@agentguard/statement';

/**
 * Hints a host acts on (MCP `ToolAnnotations`, spec 2025-06-18 §Tools): it may, for example, run a tool marked
 * `readOnlyHint` without asking. Untrusted, as everything a server says; pinned with the rest of the definition.
 */
export interface McpToolAnnotations {
  readonly title?: string | undefined;
  readonly readOnlyHint?: boolean | undefined;
  readonly destructiveHint?: boolean | undefined;
  readonly idempotentHint?: boolean | undefined;
  readonly openWorldHint?: boolean | undefined;
  /** Hints outside the spec's list are kept and pinned too. */
  readonly [hint: string]: unknown;
}

/**
 * A tool definition as an MCP server lists it (`tools/list`): the fields a model or host acts on, every one of them
 * pinned. A guarded listing hands on exactly these fields; the rest of a listed item (`_meta`, `icons`, `execution`,
 * anything unknown) is dropped, never handed on unpinned.
 */
export interface McpToolDefinition {
  readonly name: string;
  /** A display name a host shows (and may hand to the model). */
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly inputSchema?: unknown;
  /** The JSON Schema of the tool's `structuredContent`: an object. */
  readonly outputSchema?: unknown;
  readonly annotations?: McpToolAnnotations | undefined;
}

/** The fields of a definition that are pinned and handed on, in the spec's order. */
const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;
const BOOLEAN_HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function text(value: unknown, what: string): void {
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw new TypeError(`"${what}" expected a string, got ${Array.isArray(value) ? 'array' : typeof value}`);
  }
}

function object(value: unknown, what: string): void {
  if (value !== undefined && value !== null && !isObject(value)) {
    throw new TypeError(`"${what}" expected an object, got ${Array.isArray(value) ? 'array' : typeof value}`);
  }
}

/**
 * @internal The pinned part of a listed tool, as a fresh JSON copy: exactly the fields of {@link McpToolDefinition}
 * that are present (not `undefined` or `null`), every other field dropped. The copy is taken first and then pinned
 * and handed on, so what is handed on is what was pinned, whatever the listed item does afterwards.
 *
 * A field of the wrong type makes the definition unpinnable: it would be pinned as absent, or as something a host
 * does not read the way we do, while a host may still show it (a rug pull into it would pass unseen).
 *
 * @throws TypeError when the name is not a non-empty string, `title` or `description` not a string, `outputSchema`
 *   or `annotations` not an object, or a hint of the spec not of its type; StatementError when a part is not JSON.
 */
export function pinnedDefinition(listed: unknown): McpToolDefinition {
  if (!isObject(listed)) throw new TypeError('"definition" expected an object');
  // Each listed field is read once, into a copy through canonical JSON and back (no getters, prototypes or shared
  // objects; a definition that is not JSON fails here). Every check below reads the copy, which is what is pinned
  // and handed on: a getter cannot show the check one value and the copy another.
  const parts: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) {
    const value = (listed as Record<string, unknown>)[field];
    if (value !== undefined && value !== null) parts[field] = value;
  }
  const d = JSON.parse(canonicalize(parts)) as Record<string, unknown>;
  if (typeof d.name !== 'string' || d.name.length === 0) {
    throw new TypeError('"definition.name" expected a non-empty string');
  }
  text(d.title, 'definition.title');
  text(d.description, 'definition.description');
  object(d.outputSchema, 'definition.outputSchema');
  object(d.annotations, 'definition.annotations');
  if (isObject(d.annotations)) {
    const hints = d.annotations;
    text(hints.title, 'definition.annotations.title');
    for (const hint of BOOLEAN_HINTS) {
      const value = hints[hint];
      if (value !== undefined && value !== null && typeof value !== 'boolean') {
        throw new TypeError(`"definition.annotations.${hint}" expected a boolean, got ${typeof value}`);
      }
    }
  }
  return d as unknown as McpToolDefinition;
}
