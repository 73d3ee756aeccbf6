import type { CallOptions, Guard } from '@agentguard/core';
import type { Signer } from '@agentguard/identity';
import type { AdapterOptions } from '../common/options.js';
import type { McpToolFacts } from './options.js';
import type { McpToolDefinition } from './definition.js';
import type { ToolPins } from './pins.js';
import type { McpDenial } from './refusal.js';

// What a guarded MCP client takes and gives: kept apart from client.ts (how it calls) and listing.ts (how it
// reads and pins the server's tools), which both need these shapes.

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

/** Options of {@link guardMcpClient}. */
export interface GuardMcpClientOptions extends AdapterOptions {
  /** The guard deciding and auditing each call. */
  readonly guard: Guard;
  /**
   * The guard's own signer. Required when a tool is given a `schema` in `tools` (the envelope the guard signed
   * covers the arguments before that schema parsed them, so the adapter signs the parsed ones it sends, when
   * they differ); `guardMcpClient` throws a TypeError without it. Given, the adapter signs each call's envelope
   * with it over the arguments sent; otherwise the guard's own envelope of the call (`ToolContext.envelope`, or
   * `ToolContext.signEnvelope()`) is forwarded. Either way each call is signed once.
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

/** Per-call options of {@link GuardedMcpClient.callTool} (see `CallOptions` of `@agentguard/core`). */
export type McpCallOptions = Pick<CallOptions, 'callId' | 'approval' | 'signal' | 'session'>;

/** A result of a call that ran: the server's `tools/call` result (never `isError`, which is a refusal). */
export type McpToolResult = McpCallToolResult & { readonly isError?: false; readonly denial?: undefined };

/** A refused call: the Denial JSON as the one text the model sees, and the same Denial, typed. */
export interface McpRefusedResult {
  readonly content: [{ readonly type: 'text'; readonly text: string }];
  readonly isError: true;
  readonly denial: McpDenial;
}

/** What {@link GuardedMcpClient.listTools} found. */
export interface McpToolListing {
  /** The definitions that may be shown to a model: pinned (now or before) and unchanged. */
  tools: McpToolDefinition[];
  /**
   * Names held for a human (`pins.approve(name)`): a changed definition, a new name that looks like a
   * pinned one, or a name listed twice with different definitions. Calls of them are refused.
   */
  changed: string[];
  /** Names no guard can hold (outside `[A-Za-z0-9_.:-]{1,128}`) or malformed definitions: never offered. */
  invalid: string[];
}

/** A client whose tool calls are guarded and whose tool definitions are pinned. */
export interface GuardedMcpClient {
  /**
   * Lists the server's tools (every page), pinning new definitions; a tool whose definition changed since
   * it was pinned, or that is listed twice, or that looks like a pinned one, is left out of `tools` and
   * named in `changed` until `pins.approve(name)`.
   */
  listTools(): Promise<McpToolListing>;
  /**
   * Calls a tool through the guard, sending the signed call envelope in `_meta`. Before each call the
   * server's listing is read again and the tool's definition checked against its pin (pinned on first
   * sight if it has none): a call never reaches a tool that is not listed, is listed ambiguously, or whose
   * definition differs from the pinned one. A refusal is a result with `isError: true` whose text is the
   * Denial JSON and whose `denial` is that Denial (or a `GuardError` with `onDenied: 'throw'`): the guard's
   * own, the server's refusal with its own code (e.g. `ERR_GUARD_ENVELOPE_REJECTED`, its reason bounded), or
   * `ERR_ADAPTER_MCP_PIN_MISMATCH` for a definition that is not the pinned one.
   * `options.approval` is a signed approval (`createApproval`) for a call the policy sends to a human, re-run
   * with the `callId` that ended with `ERR_GUARD_APPROVAL_REQUIRED`.
   */
  callTool(
    params: { name: string; arguments?: Record<string, unknown> },
    options?: McpCallOptions,
  ): Promise<McpToolResult | McpRefusedResult>;
  /** The pinned definitions. */
  readonly pins: ToolPins;
}
