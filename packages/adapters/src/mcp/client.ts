import { digestArgs, signCall } from '@agentguard/attestation';
import { type CallOptions, type Denial, type Guard, GuardError, type StandardSchemaV1 } from '@agentguard/core';
import type { Signer } from '@agentguard/identity';
import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { boundText, denialText, unknownToolDenial } from '../common/outcome.js';
import { type AnyGuardedTool, isGuardableName } from '../common/tools.js';
import { argsDigestOf } from './envelope.js';
import { CALL_META_KEY } from './meta.js';
import { checkMcpClientOptions, type McpToolFacts } from './options.js';
import { createToolPins, type McpToolDefinition, type PinStatus, pinOf, type ToolPins } from './pins.js';
import { type McpDenial, mcpDenialOf, pinMismatch, serverRefusal } from './refusal.js';

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
   * they differ); `guardMcpClient` throws a TypeError without it. Otherwise the guard's own signed envelope
   * (`ToolContext.envelope`) is forwarded unchanged and nothing is signed twice.
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

/** Most pages of `tools/list` read for one listing; a server paging further is refused (fail closed). */
const MAX_PAGES = 100;
/** Most tool definitions read for one listing. */
const MAX_TOOLS = 10_000;

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

function textsOf(result: McpCallToolResult): string[] {
  return Array.isArray(result.content)
    ? result.content.map((c) => (c as { text?: unknown } | null)?.text).filter((t) => typeof t === 'string')
    : [];
}

// A server's refusal (a Denial JSON) becomes a typed refusal; any other error result is the tool failing, its
// text bounded here and bounded and redacted again by the guard in its Denial.
function errorOf(result: McpCallToolResult): Error {
  const texts = textsOf(result);
  const refused = serverRefusal(texts);
  if (refused !== undefined) return refused;
  return new Error(texts.length > 0 ? boundText(texts.join('\n'), 2_000) : 'the server returned an error result');
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
 * @throws TypeError / RangeError on misuse, when the client is made: not a client, not a guard, `identity`
 *   not the guard's agent or missing while a tool has a `schema`, a bad pin store or tool facts.
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
  const { guard, identity, facts } = checkMcpClientOptions(options);
  const normalized = normalizeAdapterOptions(options);
  const pins = options.pins ?? createToolPins();
  const guardedByName = new Map<string, AnyGuardedTool>();

  // Every page of tools/list, bounded; a cursor seen twice (a loop) or too many pages fail closed.
  async function listAll(): Promise<unknown[]> {
    const tools: unknown[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = (await client.listTools(cursor === undefined ? undefined : { cursor })) as unknown;
      const page_ = result as { tools?: unknown; nextCursor?: unknown } | null;
      if (typeof page_ !== 'object' || page_ === null || !Array.isArray(page_.tools)) {
        throw new Error('the server answered tools/list without a tools array');
      }
      tools.push(...page_.tools);
      if (tools.length > MAX_TOOLS) throw new Error(`the server lists more than ${MAX_TOOLS} tools`);
      const next = page_.nextCursor;
      if (next === undefined || next === null) return tools;
      if (typeof next !== 'string' || cursors.has(next)) throw new Error('the server pages tools/list in a loop');
      cursors.add(next);
      cursor = next;
    }
    throw new Error(`the server pages tools/list past ${MAX_PAGES} pages`);
  }

  // Compares one listing with the pins (pinning names seen for the first time). A name listed twice with
  // different definitions is ambiguous: which one would the model, and the server, mean? Its differing
  // definitions are held, so it stays refused until a human approves one.
  function survey(listed: readonly unknown[]): Map<string, PinStatus | 'ambiguous' | 'invalid'> {
    const byName = new Map<string, McpToolDefinition[]>();
    const status = new Map<string, PinStatus | 'ambiguous' | 'invalid'>();
    for (const item of listed) {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') continue;
      const group = byName.get(name) ?? [];
      group.push(item as McpToolDefinition);
      byName.set(name, group);
    }
    for (const [name, group] of byName) {
      if (!isGuardableName(name)) {
        status.set(name, 'invalid');
        continue;
      }
      let hashes: Map<string, McpToolDefinition>;
      try {
        hashes = new Map(group.map((definition) => [pinOf(definition).hash, definition]));
      } catch {
        status.set(name, 'invalid'); // a definition that cannot be pinned (not JSON) is never called
        continue;
      }
      if (hashes.size === 1) {
        status.set(name, pins.observe(group[0] as McpToolDefinition));
        continue;
      }
      const pinned = pins.get(name)?.hash;
      if (pinned !== undefined) for (const [hash, definition] of hashes) if (hash !== pinned) pins.observe(definition);
      status.set(name, 'ambiguous');
    }
    return status;
  }

  async function listTools(): Promise<McpToolListing> {
    const listed = await listAll();
    const status = survey(listed);
    const seen = new Set<string>();
    const tools: McpToolDefinition[] = [];
    for (const item of listed) {
      const name = (item as { name: string }).name;
      const s = status.get(name);
      if ((s === 'pinned' || s === 'same') && !pins.isChanged(name) && !seen.has(name)) {
        seen.add(name);
        tools.push(item as McpToolDefinition);
      }
    }
    const ambiguous = [...status].filter(([, s]) => s === 'ambiguous').map(([name]) => name);
    const invalid = [...status].filter(([, s]) => s === 'invalid').map(([name]) => name);
    return { tools, changed: [...new Set([...pins.changed(), ...ambiguous])], invalid };
  }

  // Checks the server's current definition of `name` against its pin (pinning it on first sight). Runs for
  // every call, so a call whose tool was never listed, or changed since, never goes out unchecked.
  async function checkPin(name: string): Promise<void> {
    let listed: unknown[];
    try {
      listed = await listAll();
    } catch {
      // Fail closed, and keep the server's (or the transport's) text out of what the model sees.
      throw new Error(`could not list the server's tools to check the pinned definition of ${name}`);
    }
    const status = survey(listed).get(name);
    if (status === undefined) throw new Error(`the server lists no tool ${JSON.stringify(name)}`);
    if (status === 'ambiguous' || status === 'invalid') {
      throw pinMismatch(`the server lists ${name} more than once, or malformed; approve one definition before calling`);
    }
    if (status === 'changed' || pins.isChanged(name)) {
      throw pinMismatch(`the definition of ${name} changed since it was pinned; re-approve it before calling`);
    }
  }

  // The guard's envelope binds the arguments it received; forward it when those are the ones sent, else
  // sign the arguments sent (what the guard decided on and the server will verify).
  async function envelopeFor(
    name: string,
    args: Record<string, unknown>,
    ctx: { callId: string; envelope?: unknown },
  ): Promise<unknown> {
    const sentDigest = digestArgs(args);
    if (ctx.envelope !== undefined && argsDigestOf(ctx.envelope) === sentDigest) return ctx.envelope;
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
  ): Promise<unknown> {
    await checkPin(name);
    const envelope = await envelopeFor(name, args, ctx);
    // A listing running alongside may have seen the definition change meanwhile: checked last, synchronously.
    if (pins.isChanged(name)) {
      throw pinMismatch(`the definition of ${name} changed since it was pinned; re-approve it before calling`);
    }
    const result = (await client.callTool({
      name,
      arguments: args,
      _meta: { [CALL_META_KEY]: envelope },
    })) as McpCallToolResult;
    // An error result is the tool failing (or the server refusing): audited and reported as a failure.
    if (result?.isError === true) throw errorOf(result);
    return result;
  }

  function guardedFor(name: string): AnyGuardedTool {
    const existing = guardedByName.get(name);
    if (existing !== undefined) return existing;
    const fact = facts.get(name);
    const created = guard.guard({
      name,
      schema: fact?.schema ?? argumentsObject,
      ...(fact?.tags === undefined ? {} : { tags: fact.tags }),
      ...(fact?.labels === undefined ? {} : { labels: fact.labels }),
      ...(fact?.timeoutMs === undefined ? {} : { timeoutMs: fact.timeoutMs }),
      ...(fact?.sensitive === undefined ? {} : { sensitive: fact.sensitive }),
      // The guard hands over the value it decided on: exactly that is sent, under an envelope binding it.
      execute: (args, ctx) => remoteCall(name, args as Record<string, unknown>, ctx),
    }) as AnyGuardedTool;
    guardedByName.set(name, created);
    return created;
  }

  function refusal(denial: McpDenial, cause: unknown): McpRefusedResult {
    // The code may be the adapter's own ERR_ADAPTER_MCP_PIN_MISMATCH, documented on McpDenialCode.
    if (normalized.onDenied === 'throw') throw new GuardError(denial as Denial, { cause });
    return { content: [{ type: 'text', text: denialText(denial as Denial) }], isError: true, denial };
  }

  return Object.freeze({
    pins,
    listTools,
    async callTool(
      params: { name: string; arguments?: Record<string, unknown> },
      callOptions: McpCallOptions = {},
    ): Promise<McpToolResult | McpRefusedResult> {
      if (typeof params !== 'object' || params === null) throw new TypeError('"params" expected an object');
      const name: unknown = params.name;
      if (typeof name !== 'string') throw new TypeError('"params.name" expected a string');
      // A name no guard can hold (a model may write anything) is refused as unknown; nothing is sent.
      if (!isGuardableName(name)) return refusal(unknownToolDenial(name, callOptions.callId ?? ''), undefined);
      const outcome = await guardedFor(name).safeRun(params.arguments ?? {}, callOptions);
      if (outcome.ok) return outcome.value as McpToolResult;
      return refusal(mcpDenialOf(outcome, name), (outcome as { cause?: unknown }).cause);
    },
  });
}
