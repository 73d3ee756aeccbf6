import type { DecisionRequest, MonitorVerdictView } from '@agentguard/policy';
import type { GuardContext } from './context.js';
import type { CredentialVerdict } from './credentials.js';
import { textOf } from './text.js';

/**
 * Step 2 of a call, shared by `run` and `check`: the agent's credential (chain verified once, revocation every
 * call), then the one request the policy decides on.
 */

/** @internal What of a tool the decision needs. */
export interface DecidedTool {
  readonly name: string;
  readonly tags: readonly string[];
  readonly labels: readonly string[];
}

/** @internal The credential verdict of a call; a check that throws is a refusal (fail closed). */
export async function credentialOf(
  ctx: GuardContext,
  agent: string,
  tool: string,
  args: unknown,
): Promise<CredentialVerdict> {
  try {
    return await ctx.credentials.check({ agent, tool, args });
  } catch (error) {
    return { ok: false, code: 'ERR_GUARD_CREDENTIAL_CHECK_FAILED', reason: textOf(error) };
  }
}

/** @internal The request the policy decides a call on: who, which tool, the run value, the session, the verdict. */
export function decisionRequest(
  ctx: GuardContext,
  tool: DecidedTool,
  call: {
    readonly agent: string;
    readonly callId: string;
    readonly session: string;
    readonly args: unknown;
    readonly credential: Extract<CredentialVerdict, { ok: true }>;
    readonly monitor: MonitorVerdictView | undefined;
  },
): DecisionRequest {
  const { agent } = call;
  return {
    agent: { ...call.credential.agent, id: agent, name: agent === ctx.self ? ctx.selfName : agent },
    tool: { name: tool.name, tags: tool.tags, labels: tool.labels },
    args: call.args,
    callId: call.callId,
    session: { id: call.session },
    ...(call.monitor === undefined ? {} : { monitor: call.monitor }),
  };
}
