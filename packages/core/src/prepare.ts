import type { RefusalData } from '@agentguard/audit';
import { type ArgsRefusal, type CallArgs, prepareArgs } from './args.js';
import type { GuardContext } from './context.js';
import { type EngineView, viewEngine } from './decision.js';
import type { DenialOutcome, GuardErrorCode } from './errors.js';
import { CALL_ID } from './options.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { CallOptions } from './types.js';

/**
 * Step 1 of every call, shared by `run`, `check` and `refuse`: the call id checked, the args copied, digested
 * and validated once (args.ts), and the policy engine read once (its hash and redact fields), so that one
 * policy decides the whole call even if the guard's policy is replaced meanwhile.
 */

/** @internal A prepared call: its id, its args as received and as they will run, and the engine that decides. */
export interface PreparedCall {
  readonly ok: true;
  readonly callId: string;
  /** Whether the caller gave the call id (an incoming envelope must then name it). */
  readonly givenId: boolean;
  readonly args: CallArgs;
  readonly view: EngineView;
  readonly session: string;
}

/** @internal Why a call cannot even be decided, and what its record holds. */
export interface Unprepared {
  readonly ok: false;
  /** The call id the refusal is recorded under (a fresh one when the given id is unusable). */
  readonly callId: string;
  readonly outcome: DenialOutcome;
  readonly code: GuardErrorCode;
  readonly reason: string;
  readonly data: RefusalData;
  /** The args, when they were valid (a policy engine that cannot be read refuses after them). */
  readonly args?: CallArgs;
  /** The args as received, frozen, when they were JSON at all (a refusal binds them). */
  readonly received?: ArgsRefusal['received'];
}

/** @internal The call id of a call: the given one when usable, else a fresh one; and whether it was usable. */
export function callIdOf(given: unknown): { readonly callId: string; readonly valid: boolean } {
  if (given === undefined) return { callId: crypto.randomUUID(), valid: true };
  if (typeof given === 'string' && CALL_ID.test(given)) return { callId: given, valid: true };
  return { callId: crypto.randomUUID(), valid: false };
}

/** @internal Prepares one call of `tool` (see the module comment). */
export async function prepareCall(
  ctx: GuardContext,
  tool: { readonly schema: StandardSchemaV1; readonly timeoutMs: number },
  raw: unknown,
  callOptions: CallOptions,
): Promise<PreparedCall | Unprepared> {
  // Read first: the engine of the guard when the call came in decides it.
  const engine = ctx.engine();
  const given: unknown = callOptions.callId;
  const { callId, valid } = callIdOf(given);
  if (!valid) {
    // Never written as given (the log refuses it) nor echoed unbounded: the refusal is recorded under a fresh id.
    const got = typeof given === 'string' ? `${given.length} characters` : typeof given;
    const reason = `call id rejected: expected 1-256 printable ASCII characters without spaces, got ${got}`;
    return { ok: false, callId, outcome: 'invalid', code: 'ERR_GUARD_CALL_ID_INVALID', reason, data: {} };
  }
  const prepared = await prepareArgs(tool.schema, raw, ctx.text, tool.timeoutMs);
  if (!prepared.ok) {
    const data: { argsDigest?: string; issues?: typeof prepared.issues } = {};
    if (prepared.argsDigest !== undefined) data.argsDigest = prepared.argsDigest;
    if (prepared.issues !== undefined) data.issues = prepared.issues;
    const received = prepared.received === undefined ? {} : { received: prepared.received };
    return { ok: false, callId, outcome: 'invalid', code: prepared.code, reason: prepared.reason, data, ...received };
  }
  const { received, inputDigest, value, argsDigest } = prepared;
  const args: CallArgs = { received, inputDigest, value, argsDigest };
  const view = viewEngine(engine);
  if ('error' in view) {
    return {
      ok: false,
      callId,
      outcome: 'denied',
      code: 'ERR_GUARD_POLICY_DENIED',
      reason: view.error,
      data: {},
      args,
    };
  }
  const session = callOptions.session ?? ctx.defaultSession;
  return { ok: true, callId, givenId: given !== undefined, args, view, session };
}
