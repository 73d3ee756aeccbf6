import { digestArgs, signCall } from '@agentguard/attestation';
import type { Guard, StandardSchemaV1 } from '@agentguard/core';
import type { Signer } from '@agentguard/identity';
import { type AdapterOptions, normalizeAdapterOptions } from '../shared/options.js';
import { boundText, denialText, settle, unknownToolDenial } from '../shared/outcome.js';
import { type AnyGuardedTool, GUARDABLE_NAME } from '../shared/tools.js';
import { argsDigestOf } from './envelope.js';
import { CALL_META_KEY } from './meta.js';
import { createToolPins, type McpToolDefinition, type PinStatus, pinOf, type ToolPins } from './pins.js';

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
   * Denial JSON (or a `GuardError` with `onDenied: 'throw'`).
   */
  callTool(
    params: { name: string; arguments?: Record<string, unknown> },
    options?: { callId?: string },
  ): Promise<McpCallToolResult>;
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

// The tool's own error text, bounded; the guard bounds and redacts it again in its Denial.
function errorText(result: McpCallToolResult): string {
  const texts = Array.isArray(result.content)
    ? result.content.map((c) => (c as { text?: unknown } | null)?.text).filter((t) => typeof t === 'string')
    : [];
  return texts.length > 0 ? boundText(texts.join('\n'), 2_000) : 'the server returned an error result';
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
  const facts = new Map(Object.entries(options.tools ?? {}));
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
      if (!GUARDABLE_NAME.test(name)) {
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
      throw new Error(`the server lists ${name} more than once, or malformed; approve one definition before calling`);
    }
    if (status === 'changed' || pins.isChanged(name)) {
      throw new Error(`the definition of ${name} changed since it was pinned; re-approve it before calling`);
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
      throw new Error(`the definition of ${name} changed since it was pinned; re-approve it before calling`);
    }
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

  return Object.freeze({
    pins,
    listTools,
    async callTool(
      params: { name: string; arguments?: Record<string, unknown> },
      callOptions: { callId?: string } = {},
    ) {
      if (typeof params !== 'object' || params === null) throw new TypeError('"params" expected an object');
      const name: unknown = params.name;
      if (typeof name !== 'string') throw new TypeError('"params.name" expected a string');
      // A name no guard can hold (a model may write anything) is refused as unknown; nothing is sent.
      const outcome = GUARDABLE_NAME.test(name)
        ? await guardedFor(name).safeRun(params.arguments ?? {}, callOptions)
        : {
            ok: false as const,
            callId: callOptions.callId ?? '',
            denial: unknownToolDenial(name, callOptions.callId ?? ''),
          };
      const settled = settle(outcome, normalized);
      if (settled.ok) return settled.value as McpCallToolResult;
      return { content: [{ type: 'text', text: denialText(settled.denial) }], isError: true };
    },
  });
}
