import {
  type DecisionRequest,
  type IsolationLevel,
  type MonitorVerdictView,
  type Policy,
  type PolicyEngine,
  type RiskTier,
  toolRiskTier,
} from '@agentguard/policy';
import type { EngineView } from './decision.js';
import type { GuardContext } from './context.js';
import { extend } from './extend.js';
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
  readonly sensitive?: boolean;
  readonly isolation?: { readonly level: IsolationLevel };
  readonly risk?: RiskTier | undefined;
}

// Tiers by policy, then by tool: computed once per tool for each policy a guard runs (a new policy may change
// whether a tool runs without approval, and so its tier).
const tiers = new WeakMap<object, WeakMap<DecidedTool, RiskTier | undefined>>();

/**
 * @internal The tool's risk tier under the engine's policy, computed once per (policy, tool). Undefined when it
 * cannot be computed (an engine whose policy cannot be read): rules with `tiers` are then undecided (fail closed).
 */
export function toolTier(engine: PolicyEngine, tool: DecidedTool): RiskTier | undefined {
  let policy: Policy | undefined;
  try {
    policy = (engine as { policy?: Policy }).policy;
  } catch {
    return undefined;
  }
  const key: object = typeof policy === 'object' && policy !== null ? policy : engine;
  let byTool = tiers.get(key);
  if (byTool === undefined) {
    byTool = new WeakMap();
    tiers.set(key, byTool);
  }
  if (byTool.has(tool)) return byTool.get(tool);
  let tier: RiskTier | undefined;
  try {
    tier = toolRiskTier(
      {
        name: tool.name,
        tags: tool.tags,
        labels: tool.labels,
        ...(tool.sensitive === undefined ? {} : { sensitive: tool.sensitive }),
        ...(tool.isolation === undefined ? {} : { isolation: tool.isolation.level }),
        ...(tool.risk === undefined ? {} : { risk: tool.risk }),
      },
      key === policy ? { policy: policy as Policy } : {},
    ).tier;
  } catch {
    tier = undefined;
  }
  byTool.set(tool, tier);
  return tier;
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
    /** The engine the call is decided by (its policy sets the tool's tier). @default the guard's current one */
    readonly view?: EngineView;
  },
): DecisionRequest {
  const { agent } = call;
  const tier = toolTier(call.view?.engine ?? ctx.engine(), tool);
  return {
    agent: extend(call.credential.agent, { id: agent, name: agent === ctx.self ? ctx.selfName : agent }),
    tool: { name: tool.name, tags: tool.tags, labels: tool.labels, ...(tier === undefined ? {} : { tier }) },
    args: call.args,
    callId: call.callId,
    session: { id: call.session },
    ...(call.monitor === undefined ? {} : { monitor: call.monitor }),
  };
}
