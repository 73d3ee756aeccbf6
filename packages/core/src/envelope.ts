import { extend } from './extend.js';
import type { RefusalData } from '@agentguard/audit';
import { freezeArgs, signCall, verifyCall } from '@agentguard/attestation';
import { bytesEqual } from '@agentguard/statement';
import type { CallArgs } from './args.js';
import type { GuardContext } from './context.js';
import { textOf } from './text.js';
import { envelopeForRecord } from './text.js';

/**
 * The call envelope step. The envelope is the agent's statement of what it asked for: it binds the args as
 * received. A caller's envelope (another process signed the call) is verified in full, as any party would:
 * trust, signature, args digest, tool, freshness, once only.
 *
 * The guard's own calls carry an envelope only when it says something the call's signed request record does
 * not (ADR 0012): when the guard's signer is another process, which may decide by its own policy whether to
 * sign the call (`agentguard signer serve --policy`), so its signature is a second party's consent. An identity
 * of this process signs whatever it is given, with the very key that signs the request record over the same
 * call id, tool, agent, args digest and policy hash: there the envelope is not made, and a tool that forwards
 * the call to another process signs one on demand (`ToolContext.signEnvelope`).
 *
 * An own envelope is not verified again (the guard just made the signature), except the first one of each
 * guard, which proves once that the signer signs with the key it names. Either way the guard's key must be
 * trusted (by `options.trust`), as a verifier would require. Throughput mode (batched) has no envelope: its
 * records are covered by the next signed checkpoint.
 */

/** @internal The envelope step's outcome: who the call is, or why it is refused and what to record. */
export type EnvelopeStep =
  | { readonly ok: true; readonly envelope: unknown; readonly callId: string; readonly agent: string }
  | { readonly ok: false; readonly reason: string; readonly data: RefusalData };

/** @internal What of a tool the envelope step needs. */
export interface EnvelopeTool {
  readonly name: string;
  readonly batched: boolean;
}

/**
 * @internal Signs (or accepts) the envelope of one call.
 * @param callId - the call id as given (or made up); an incoming envelope may name its own when none was given.
 * @param givenId - whether the caller gave the call id (an incoming envelope must then name it).
 */
export async function callEnvelope(
  ctx: GuardContext,
  tool: EnvelopeTool,
  call: { readonly callId: string; readonly givenId: boolean; readonly args: CallArgs; readonly policyHash: string },
  incoming: unknown,
): Promise<EnvelopeStep> {
  try {
    if (incoming !== undefined) return await acceptEnvelope(ctx, tool, call, incoming);
    if (tool.batched) return { ok: true, envelope: undefined, callId: call.callId, agent: ctx.self };
    if (!ctx.ownEnvelopes) {
      const untrusted = untrustedSelf(ctx);
      if (untrusted !== undefined) {
        return { ok: false, reason: untrusted, data: { envelopeCode: 'ERR_ATTESTATION_KEY_UNTRUSTED' } };
      }
      return { ok: true, envelope: undefined, callId: call.callId, agent: ctx.self };
    }
    const envelope = await signOwnEnvelope(ctx, tool.name, call.callId, call.args.received, call.policyHash);
    const problem = await ownEnvelopeProblem(ctx, tool.name, call, envelope);
    if (problem !== undefined) return { ok: false, reason: problem.reason, data: problem.data };
    return { ok: true, envelope, callId: call.callId, agent: ctx.self };
  } catch (error) {
    return { ok: false, reason: textOf(error), data: {} };
  }
}

/**
 * @internal The envelope the guard's own call records: none in throughput mode, nor when the guard's signer is
 * an identity of this process (see the module comment); else its identity signs the args as received.
 */
export async function recordedOwnEnvelope(
  ctx: GuardContext,
  tool: EnvelopeTool,
  callId: string,
  received: unknown,
  policyHash: string,
): Promise<unknown> {
  if (tool.batched || !ctx.ownEnvelopes) return undefined;
  return signOwnEnvelope(ctx, tool.name, callId, received, policyHash);
}

/** @internal The guard's own envelope for a call: its identity signs the args as received. */
export async function signOwnEnvelope(
  ctx: GuardContext,
  tool: string,
  callId: string,
  received: unknown,
  policyHash: string,
): Promise<unknown> {
  const signed = await signCall({ signer: ctx.identity, callId, tool, args: received, policyHash });
  return signed.envelope;
}

async function acceptEnvelope(
  ctx: GuardContext,
  tool: EnvelopeTool,
  call: { readonly callId: string; readonly givenId: boolean; readonly args: CallArgs },
  incoming: unknown,
): Promise<EnvelopeStep> {
  let envelope: unknown;
  try {
    // Copied once: what is verified is what is recorded (a getter cannot show the verifier one envelope and
    // the log another).
    envelope = freezeArgs(incoming);
  } catch (error) {
    return { ok: false, reason: textOf(error), data: { envelopeOmitted: { reason: 'not-json' } } };
  }
  const check = await verifyCall(envelope, {
    trust: ctx.trust,
    args: call.args.received,
    expectedTool: tool.name,
    replayCache: ctx.replayCache,
    ...(call.givenId ? { expectedCallId: call.callId } : {}),
  });
  if (!check.ok) {
    // A rejected envelope is the caller's: recorded only when it is small JSON, else as a marker.
    return { ok: false, reason: check.reason, data: extend(envelopeForRecord(envelope), { envelopeCode: check.code }) };
  }
  return { ok: true, envelope, callId: check.claims.callId, agent: check.claims.agent };
}

/**
 * Why the guard's own envelope would not verify, without verifying its signature: its key must be trusted
 * (by `options.trust`) under the very public key the identity holds. The first own envelope of a guard is
 * verified in full, which catches a signer that signs with another key than the one it names.
 */
async function ownEnvelopeProblem(
  ctx: GuardContext,
  tool: string,
  call: { readonly callId: string; readonly args: CallArgs },
  envelope: unknown,
): Promise<{ reason: string; data: RefusalData } | undefined> {
  const untrusted = untrustedSelf(ctx);
  if (untrusted !== undefined) {
    return {
      reason: untrusted,
      data: extend(envelopeForRecord(envelope), { envelopeCode: 'ERR_ATTESTATION_KEY_UNTRUSTED' as const }),
    };
  }
  if (ctx.ownSignerChecked()) return undefined;
  const check = await verifyCall(envelope, {
    trust: ctx.trust,
    args: call.args.received,
    expectedTool: tool,
    expectedCallId: call.callId,
  });
  if (!check.ok)
    return { reason: check.reason, data: extend(envelopeForRecord(envelope), { envelopeCode: check.code }) };
  ctx.markOwnSignerChecked();
  return undefined;
}

/**
 * Why the guard's own key would not be accepted by a verifier using the guard's trust (`options.trust`): it must
 * be trusted under the very public key the identity holds. Undefined when it is.
 */
function untrustedSelf(ctx: GuardContext): string | undefined {
  const { identity } = ctx;
  let trusted: unknown;
  try {
    trusted = ctx.trust.publicKeyFor(identity.keyId);
  } catch {
    trusted = undefined; // a trust store that throws trusts nothing
  }
  const own: unknown = identity.publicKey;
  if (trusted instanceof Uint8Array && own instanceof Uint8Array && bytesEqual(trusted, own)) return undefined;
  return `keyid ${JSON.stringify(identity.keyId.slice(0, 120))} is not a trusted key`;
}
