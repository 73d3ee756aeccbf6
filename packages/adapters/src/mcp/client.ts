import { digestArgs, signCall } from '@agentguard/attestation';
import {
  type AttestationChange,
  type Denial,
  GuardError,
  type StandardSchemaV1,
  type ToolContext,
} from '@agentguard/core';
import { normalizeAdapterOptions } from '../common/options.js';
import { boundText, denialText, unknownToolDenial } from '../common/outcome.js';
import { type AnyGuardedTool, isGuardableName } from '../common/tools.js';
import type {
  GuardedMcpClient,
  GuardMcpClientOptions,
  McpCallOptions,
  McpCallToolResult,
  McpClientLike,
  McpRefusedResult,
  McpToolResult,
} from './client-types.js';
import { argsDigestOf } from './envelope.js';

/** What of a guarded call's context a forwarded call needs. */
type CallContext = Pick<ToolContext, 'callId' | 'envelope' | 'signEnvelope'>;
import { createToolSurvey } from './listing.js';
import { CALL_META_KEY } from './meta.js';
import { checkMcpClientOptions } from './options.js';
import { createToolPins } from './pins.js';
import { type McpDenial, mcpDenialOf, pinMismatch, serverRefusal } from './refusal.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

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
  const { listTools, checkPin } = createToolSurvey(client, pins, attestChanges);

  // A definition that moved away from its pin is also an `attest.tool` change in the guard's signed
  // `attestation` record, when the guard attests (its `attestation` option): the rug pull is then evidence in
  // the log, not only a refused call. Each (tool, pinned, seen) is recorded once, in at most one record per
  // listing (64 changes; more wait for the next listing); one that could not be written is tried again then.
  // Memory is bounded: the last change recorded per tool name, for at most 1,024 names. The refusal itself
  // never depends on this record.
  const attested = new Map<string, string>();
  async function attestChanges(changes: readonly AttestationChange[]): Promise<void> {
    const keyOf = (c: AttestationChange) => `${c.expected}\n${c.seen}`;
    const fresh = changes.filter((c) => attested.get(c.subject) !== keyOf(c)).slice(0, 64);
    if (fresh.length === 0) return;
    const observed = fresh.map((c) =>
      DIGEST.test(c.expected) || c.expected === 'absent' ? c : { ...c, expected: 'unreadable' },
    );
    try {
      await guard.attest({ observed });
    } catch {
      return; // no `attestation` option (TypeError), or the log failed: the call is refused all the same
    }
    for (const c of fresh) {
      attested.delete(c.subject);
      attested.set(c.subject, keyOf(c));
      if (attested.size > 1024) attested.delete(attested.keys().next().value as string);
    }
  }

  // The guard's envelope binds the arguments it received; forward it when those are the ones sent, else
  // sign the arguments sent (what the guard decided on and the server will verify).
  async function envelopeFor(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<unknown> {
    const sentDigest = digestArgs(args);
    // The call's own envelope (the guard signs one on demand, once per call, under the policy the call was decided
    // by) when it binds the args sent: always, unless a tool schema may have changed them and the identity is here
    // to sign the ones sent (then asking the guard would sign twice).
    const mayDiffer = identity !== undefined && facts.get(name)?.schema !== undefined;
    const own = ctx.envelope ?? (mayDiffer ? undefined : await ctx.signEnvelope());
    if (own !== undefined && argsDigestOf(own) === sentDigest) return own;
    if (identity === undefined) {
      throw new Error(`no call envelope to send for ${name}: pass "identity" to guardMcpClient`);
    }
    const { callId } = ctx;
    return (await signCall({ signer: identity, callId, tool: name, args, policyHash: guard.policyHash })).envelope;
  }

  async function remoteCall(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<unknown> {
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
      ...(fact?.risk === undefined ? {} : { risk: fact.risk }),
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
