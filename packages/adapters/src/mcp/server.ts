import {
  ATTESTATION_ERROR_CODES,
  type AttestationErrorCode,
  bindArgs,
  type CallClaims,
  type CallVerification,
  createReplayCache,
  type ReplayCache,
  type VerifierSettings,
  verifyCall,
  verifyCallSync,
} from '@agentguard/attestation';
import type { Denial } from '@agentguard/core';
import { adapterDenial, boundText, denialText, textOf } from '../common/outcome.js';
import { CALL_META_KEY } from './meta.js';

/** Options of {@link createMcpCallVerifier}: whose envelopes to accept, clock skew, replay cache. */
export interface McpCallVerifierOptions extends VerifierSettings {
  /**
   * Where accepted nonces are remembered; share one store between servers that accept the same callers.
   * @default a fresh in-memory cache (createReplayCache())
   */
  readonly replayCache?: ReplayCache;
  /**
   * Called with each refusal (for logging or an audit log of the server's own): the Denial the client
   * gets, and the verifier's own result, whose `reason` may hold detail kept from the client (e.g. why a
   * replay cache failed).
   * @default none
   */
  readonly onRefused?: (denial: Denial, verification: { readonly code: string; readonly reason: string }) => void;
}

/** A `tools/call` error result carrying the Denial JSON (a type alias, so it fits the SDKs' result types). */
export type McpRefusal = {
  readonly content: [{ readonly type: 'text'; readonly text: string }];
  readonly isError: true;
};

/**
 * A tool handler that also receives the verified claims of the call. Its `args` are a deep-frozen copy of
 * the arguments the SDK handed over, the very value whose digest was checked against the envelope.
 * `extra` is the SDK's own request context, as it came: only `claims` and `args` are signed. Everything else
 * in it, `_meta` included (a progress token, any other member a client adds), is the client's word and must
 * not decide what the handler does.
 */
export type VerifiedHandler<A, X, R> = (args: A, extra: X, claims: CallClaims) => R | Promise<R>;

/** Verifies the call envelopes MCP clients send in `_meta` (see {@link createMcpCallVerifier}). */
export interface McpCallVerifier {
  /**
   * Verifies the envelope in the request's `_meta` against `tool` and `args` (checked on a copy taken
   * first; arguments that are not plain JSON are refused). Never throws.
   */
  verify(tool: string, args: unknown, extra: unknown): Promise<CallVerification>;
  /**
   * Wraps a tool handler (`McpServer.registerTool` callback, SDK v1 or v2): it runs only for a call whose
   * envelope verifies (trusted agent, this tool, these arguments, fresh, not replayed); any other call
   * gets an `isError` result with the Denial JSON, and the handler never runs.
   */
  wrap<A, X, R>(tool: string, handler: VerifiedHandler<A, X, R>): (args: A, extra: X) => Promise<R | McpRefusal>;
}

/** The request's `_meta`: `extra._meta` in SDK v1, `ctx.mcpReq._meta` in SDK v2. */
function metaOf(extra: unknown): Record<string, unknown> | undefined {
  const e = extra as { _meta?: unknown; mcpReq?: { _meta?: unknown } } | null | undefined;
  const meta = e?._meta ?? e?.mcpReq?._meta;
  return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : undefined;
}

function requestIdOf(extra: unknown): string {
  const e = extra as { requestId?: unknown; mcpReq?: { id?: unknown } } | null | undefined;
  const id = e?.requestId ?? e?.mcpReq?.id;
  return typeof id === 'string' || typeof id === 'number' ? `mcp-request-${boundText(String(id), 128)}` : 'unverified';
}

// What the client (and its model) is told per code: fixed text, never the verifier's own reason, which can
// carry a replay store's or a thrown error's message (an address, a credential in a connection string).
const EXPLAINED: Readonly<Partial<Record<AttestationErrorCode, string>>> = {
  ERR_ATTESTATION_ENVELOPE_MALFORMED: 'no valid call envelope in _meta',
  ERR_ATTESTATION_ENVELOPE_TOO_LARGE: 'the call envelope is too large',
  ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE: 'the call envelope has another payload type',
  ERR_ATTESTATION_KEY_UNTRUSTED: 'the signer is not trusted by this server',
  ERR_ATTESTATION_SIGNATURE_INVALID: 'the signature does not verify',
  ERR_ATTESTATION_STATEMENT_INVALID: 'the signed statement is not a valid call statement',
  ERR_ATTESTATION_AGENT_MISMATCH: 'the statement names another agent than its signer',
  ERR_ATTESTATION_ENVELOPE_EXPIRED: 'the call envelope has expired',
  ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID: 'the call envelope is not valid yet',
  ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG: 'the call envelope is valid for too long',
  ERR_ATTESTATION_ARGS_MISMATCH: 'the arguments are not the ones signed (a server schema with defaults or transforms?)',
  ERR_ATTESTATION_ARGS_INVALID: 'the arguments are not plain JSON',
  ERR_ATTESTATION_TOOL_MISMATCH: 'the call envelope names another tool',
  ERR_ATTESTATION_CALL_ID_MISMATCH: 'the call envelope names another call id',
  ERR_ATTESTATION_REPLAY: 'this call envelope was already used',
  ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE: 'the server cannot check replays now',
};

/**
 * Creates the server side of zero trust across the MCP process boundary: a verifier of the signed call
 * envelope (`@agentguard/attestation`) each guarded client sends in `_meta["dev.agentguard/call"]`, with a
 * replay cache on by default. A server using it trusts no caller it cannot verify.
 *
 * Arguments are bound by digest to what the client signed, so they are checked as the handler receives
 * them (after the SDK applied the tool's schema), on a deep-frozen copy that is then what the handler gets:
 * a server schema that adds defaults, strips keys or transforms makes calls fail closed.
 *
 * @param options - see {@link McpCallVerifierOptions}; `trust` lists the agents allowed to call.
 * @returns a frozen {@link McpCallVerifier}.
 * @throws TypeError / RangeError on misuse.
 * @example
 * ```ts
 * const verifier = createMcpCallVerifier({ trust: createTrustStore([agentDid]) });
 * server.registerTool('search', { inputSchema: { q: z.string() } }, verifier.wrap('search', async ({ q }) => ({ content: [{ type: 'text', text: find(q) }] })));
 * ```
 */
export function createMcpCallVerifier(options: McpCallVerifierOptions): McpCallVerifier {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { trust, replayCache: given } = options;
  if (given !== undefined && typeof (given as ReplayCache | null)?.checkAndRemember !== 'function') {
    throw new TypeError('"replayCache" expected a ReplayCache (createReplayCache())');
  }
  const base: VerifierSettings = {
    trust,
    ...(options.clockSkewMs === undefined ? {} : { clockSkewMs: options.clockSkewMs }),
    ...(options.maxValidityMs === undefined ? {} : { maxValidityMs: options.maxValidityMs }),
  };
  // Misuse shows here, at creation, not as a refusal of every call: verifying no envelope checks the settings
  // exactly as each call will (TypeError / RangeError), and touches no replay cache.
  verifyCallSync(undefined, { ...base, skipArgsCheck: true });
  // A verifier that lives across calls keeps a replay cache by default, so a replayed envelope is refused.
  const settings = { ...base, replayCache: given ?? createReplayCache() };
  const onRefused = options.onRefused;
  if (onRefused !== undefined && typeof onRefused !== 'function')
    throw new TypeError('"onRefused" expected a function');

  // Copy, then verify the copy, then run the handler on that same copy: the value checked against the
  // envelope is the value the handler gets (the SDK has already applied the tool's schema, so this is the
  // schema's output; a schema adding defaults or transforming arguments makes them differ from what the
  // client signed, and the call is refused).
  async function check(
    tool: string,
    args: unknown,
    extra: unknown,
  ): Promise<{ verification: CallVerification; args?: unknown }> {
    const envelope = metaOf(extra)?.[CALL_META_KEY];
    if (envelope === undefined) {
      return {
        verification: {
          ok: false,
          code: 'ERR_ATTESTATION_ENVELOPE_MALFORMED',
          reason: 'no signed call envelope in _meta',
        },
      };
    }
    let bound: { args: unknown; digest: string };
    try {
      bound = bindArgs(args ?? {});
    } catch {
      const reason = 'the arguments the handler would get are not plain JSON';
      return { verification: { ok: false, code: 'ERR_ATTESTATION_ARGS_MISMATCH', reason } };
    }
    try {
      // Object.assign onto a fresh literal, not a literal that starts with a spread (docs/contributing.md).
      const verification = await verifyCall(
        envelope,
        Object.assign({}, settings, { argsDigest: bound.digest, expectedTool: tool }),
      );
      return { verification, args: bound.args };
    } catch (error) {
      // Fail closed: a verifier failure is a refusal, never a pass. Only its code is kept, never its message.
      const code = (error as { code?: unknown } | null)?.code;
      const named = (ATTESTATION_ERROR_CODES as readonly unknown[]).includes(code)
        ? (code as AttestationErrorCode)
        : 'ERR_ATTESTATION_ENVELOPE_MALFORMED';
      const detail = boundText(error instanceof Error ? textOf(error.message) : textOf(error), 300);
      return { verification: { ok: false, code: named, reason: `the envelope could not be verified: ${detail}` } };
    }
  }

  return Object.freeze({
    verify: async (tool: string, args: unknown, extra: unknown) => (await check(tool, args, extra)).verification,
    wrap<A, X, R>(tool: string, handler: VerifiedHandler<A, X, R>) {
      if (typeof handler !== 'function') throw new TypeError('"handler" expected a function');
      return async (args: A, extra: X): Promise<R | McpRefusal> => {
        const checked = await check(tool, args, extra);
        const verification = checked.verification;
        if (verification.ok) return handler(checked.args as A, extra, verification.claims);
        const explained = EXPLAINED[verification.code] ?? 'the call envelope could not be verified';
        const reason = `call envelope rejected (${verification.code}): ${explained}`;
        const denial = adapterDenial({ code: 'ERR_GUARD_ENVELOPE_REJECTED', reason, tool, callId: requestIdOf(extra) });
        try {
          onRefused?.(denial, { code: verification.code, reason: verification.reason });
        } catch {
          // An observer's error must not change the refusal.
        }
        return { content: [{ type: 'text', text: denialText(denial) }], isError: true };
      };
    },
  });
}
