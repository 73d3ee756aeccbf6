import { signCall } from '@agentguard/attestation';
import type { Guard, StandardSchemaV1 } from '@agentguard/core';
import type { Signer } from '@agentguard/identity';
import { type AdapterOptions, normalizeAdapterOptions } from '../shared/options.js';
import { denialText, settle } from '../shared/outcome.js';
import type { AnyGuardedTool } from '../shared/tools.js';
import { CALL_META_KEY } from './meta.js';
import { createToolPins, type McpToolDefinition, type ToolPins } from './pins.js';

/** The part of an MCP SDK `Client` (v1 `@modelcontextprotocol/sdk` or v2 `@modelcontextprotocol/client`) used. */
export interface McpClientLike {
  listTools(params?: { cursor?: string }): Promise<{ tools: McpToolDefinition[]; nextCursor?: string | undefined }>;
  callTool(params: {
    name: string;
    arguments?: Record<string, unknown>;
    _meta?: Record<string, unknown>;
  }): Promise<unknown>;
}

/** A `tools/call` result: what the model sees. */
export interface McpCallToolResult {
  readonly content: readonly { readonly type: string; readonly text?: string }[];
  readonly isError?: boolean;
  readonly [key: string]: unknown;
}

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
   * A schema to validate arguments with before the call leaves the process (the server validates too).
   * @default any JSON object
   */
  readonly schema?: StandardSchemaV1;
}

/** Options of {@link guardMcpClient}. */
export interface GuardMcpClientOptions extends AdapterOptions {
  /** The guard deciding and auditing each call. */
  readonly guard: Guard;
  /**
   * The guard's own signer. Needed only for tools given a `schema` in `tools` (the envelope the guard signed
   * covers the arguments before that schema parsed them, so the adapter signs the parsed ones it sends) and in
   * throughput mode (no envelope); otherwise the guard's own signed envelope (`ToolContext.envelope`) is
   * forwarded unchanged and nothing is signed twice. Without it such calls fail closed.
   * @default undefined
   */
  readonly identity?: Signer;
  /**
   * Pinned tool definitions.
   * @default a new, empty store (every tool pinned on first sight)
   */
  readonly pins?: ToolPins;
  /**
   * Tags, labels and timeouts per tool name.
   * @default {}
   */
  readonly tools?: Readonly<Record<string, McpToolFacts>>;
}

/** A client whose tool calls are guarded and whose tool definitions are pinned. */
export interface GuardedMcpClient {
  /**
   * Lists the server's tools, pinning new definitions; a tool whose definition changed since it was
   * pinned is left out of `tools` and named in `changed` until `pins.approve(name)`.
   */
  listTools(): Promise<{ tools: McpToolDefinition[]; changed: string[] }>;
  /**
   * Calls a tool through the guard, sending the signed call envelope in `_meta`. A refusal is a result
   * with `isError: true` whose text is the Denial JSON (or a `GuardError` with `onDenied: 'throw'`).
   */
  callTool(
    params: { name: string; arguments?: Record<string, unknown> },
    options?: { callId?: string },
  ): Promise<McpCallToolResult>;
  /** The pinned definitions. */
  readonly pins: ToolPins;
}

const MAX_PAGES = 100;

// MCP tool arguments are a JSON object; the server validates them against its own schema.
const argumentsObject: StandardSchemaV1<Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'agentguard-mcp',
    validate: (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { value: value as Record<string, unknown> }
        : { issues: [{ message: 'MCP tool arguments must be a JSON object' }] },
  },
};

function errorText(result: McpCallToolResult): string {
  const texts = Array.isArray(result.content)
    ? result.content.map((c) => c?.text).filter((t) => typeof t === 'string')
    : [];
  return texts.length > 0 ? texts.join('\n').slice(0, 2_000) : 'the server returned an error result';
}

/**
 * Guards an MCP client: every `callTool` goes through the guard (signed, decided by the policy, audited)
 * and carries the signed call envelope in `_meta[CALL_META_KEY]`, for a server using
 * {@link createMcpCallVerifier}. Tool definitions are pinned on first sight; a call to a tool whose
 * definition has changed (a rug pull) fails without reaching the server until it is re-approved.
 *
 * @param client - an MCP SDK client, v1 or v2, already connected.
 * @param options - see {@link GuardMcpClientOptions}.
 * @returns a {@link GuardedMcpClient}.
 * @throws TypeError on misuse (e.g. `identity` is not the guard's agent).
 * @example
 * ```ts
 * const guarded = guardMcpClient(client, { guard: ag }); // forwards the guard's own signed envelope
 * const result = await guarded.callTool({ name: 'search', arguments: { q: 'mcp' } });
 * ```
 */
export function guardMcpClient(client: McpClientLike, options: GuardMcpClientOptions): GuardedMcpClient {
  if (typeof client?.callTool !== 'function' || typeof client.listTools !== 'function') {
    throw new TypeError('"client" expected an MCP Client with callTool and listTools');
  }
  const { guard, identity } = options ?? {};
  if (typeof guard?.guard !== 'function') throw new TypeError('"guard" expected a Guard (createGuard())');
  if (identity !== undefined && (typeof identity?.sign !== 'function' || identity.id !== guard.agent)) {
    throw new TypeError('"identity" expected the Signer of the guard\'s agent');
  }
  const normalized = normalizeAdapterOptions(options);
  const pins = options.pins ?? createToolPins();
  const facts = { ...(options.tools ?? {}) };
  const guardedByName = new Map<string, AnyGuardedTool>();

  async function listAll(): Promise<McpToolDefinition[]> {
    const tools: McpToolDefinition[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await client.listTools(cursor === undefined ? undefined : { cursor });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  async function listTools(): Promise<{ tools: McpToolDefinition[]; changed: string[] }> {
    const listed = await listAll();
    const tools = listed.filter((tool) => pins.observe(tool) !== 'changed');
    return { tools, changed: pins.changed() };
  }

  async function envelopeFor(
    name: string,
    args: Record<string, unknown>,
    ctx: { callId: string; envelope?: unknown },
    parsedBySchema: boolean,
  ): Promise<unknown> {
    // The guard's envelope binds the arguments it was given; forward it when those are the ones sent.
    if (ctx.envelope !== undefined && !parsedBySchema) return ctx.envelope;
    if (identity === undefined) {
      throw new Error(`no call envelope to send for ${name}: pass "identity" to guardMcpClient`);
    }
    const { callId } = ctx;
    return (await signCall({ signer: identity, callId, tool: name, args, policyHash: guard.policyHash })).envelope;
  }

  async function remoteCall(
    name: string,
    args: Record<string, unknown>,
    ctx: { callId: string; envelope?: unknown },
    parsedBySchema: boolean,
  ): Promise<unknown> {
    if (pins.get(name) === undefined) await listTools();
    if (pins.get(name) === undefined) throw new Error(`the server lists no tool ${JSON.stringify(name)}`);
    if (pins.isChanged(name)) {
      throw new Error(`the definition of ${name} changed since it was pinned; re-approve it before calling`);
    }
    const envelope = await envelopeFor(name, args, ctx, parsedBySchema);
    const result = (await client.callTool({
      name,
      arguments: args,
      _meta: { [CALL_META_KEY]: envelope },
    })) as McpCallToolResult;
    // An error result is the tool failing (or the server refusing): audited and reported as a failure.
    if (result?.isError === true) throw new Error(errorText(result));
    return result;
  }

  function guardedFor(name: string): AnyGuardedTool {
    const existing = guardedByName.get(name);
    if (existing !== undefined) return existing;
    const fact = Object.hasOwn(facts, name) ? facts[name] : undefined;
    const created = guard.guard({
      name,
      schema: fact?.schema ?? argumentsObject,
      ...(fact?.tags === undefined ? {} : { tags: fact.tags }),
      ...(fact?.labels === undefined ? {} : { labels: fact.labels }),
      ...(fact?.timeoutMs === undefined ? {} : { timeoutMs: fact.timeoutMs }),
      ...(fact?.sensitive === undefined ? {} : { sensitive: fact.sensitive }),
      execute: (args, ctx) => remoteCall(name, args as Record<string, unknown>, ctx, fact?.schema !== undefined),
    }) as AnyGuardedTool;
    guardedByName.set(name, created);
    return created;
  }

  return Object.freeze({
    pins,
    listTools,
    async callTool(
      params: { name: string; arguments?: Record<string, unknown> },
      callOptions: { callId?: string } = {},
    ) {
      if (typeof params?.name !== 'string') throw new TypeError('"params.name" expected a string');
      const outcome = await guardedFor(params.name).safeRun(params.arguments ?? {}, callOptions);
      const settled = settle(outcome, normalized);
      if (settled.ok) return settled.value as McpCallToolResult;
      return { content: [{ type: 'text', text: denialText(settled.denial) }], isError: true };
    },
  });
}
