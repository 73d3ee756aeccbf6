import type { IsolationGrants } from '../isolation/grants.js';
import type { IsolationLevel } from '../isolation/levels.js';
import type { Effect, PolicyMode } from '../document/schema.js';
import type { RiskTier } from '../tools/risk.js';

/** The agent that makes a call, as the policy sees it. */
export interface DecisionAgent {
  /** The agent's id, usually its `did:key`. */
  readonly id: string;
  /** Human-readable name. */
  readonly name: string;
  /** Credential attribute: owning team or person. */
  readonly owner?: string;
  /** Credential attribute: deployment environment, e.g. `prod`. */
  readonly environment?: string;
  /** Credential attribute: risk tier, e.g. `low`, `medium`, `high`. */
  readonly riskTier?: string;
  /** Credential attribute: granted scopes. */
  readonly scopes?: readonly string[];
  /** Id of the credential the agent presented (limits `per: credential`). @default the agent id */
  readonly credentialId?: string;
  /** Number of delegation links between the root credential and this agent (0 = root). */
  readonly delegationDepth?: number;
}

/** The tool being called, as the policy sees it. */
export interface DecisionTool {
  /** The tool's name, matched by rules' `tools` globs. */
  readonly name: string;
  /** Resource tags, e.g. `read`, `write`, `destructive`, `external`, `pii`, `payment`. */
  readonly tags?: readonly string[];
  /** Data-flow labels: sources (`reads:pii`, `reads:secrets`, `untrusted-content`) and sinks (`egress`, `writes:external`). */
  readonly labels?: readonly string[];
  /** The tool's risk tier (see `toolRiskTier`), matched by rules' `tiers`. */
  readonly tier?: RiskTier;
}

/**
 * The runtime monitor's verdict on a call, as the policy sees it (a guard with a `monitor` scores each call
 * before it is decided). `failed`: the monitor gave no verdict (it threw, answered something that is not a
 * verdict, or did not answer in time); rules with a `monitor` condition then treat it as undecided.
 */
export type MonitorVerdictView =
  | {
      readonly status: 'scored';
      /** The call's anomaly score (sum of the weights of the features that fired). */
      readonly score: number;
      /** Whether the score reached the monitor's threshold. */
      readonly flagged: boolean;
      /** The features that fired, e.g. `value.ungrounded`, `tool.unknown`, `attest.tool`. */
      readonly features: readonly string[];
    }
  | { readonly status: 'failed'; readonly reason: string };

/** Everything a decision is made on. */
export interface DecisionRequest {
  readonly agent: DecisionAgent;
  readonly tool: DecisionTool;
  /** The call's arguments (already validated and frozen by the caller). */
  readonly args: unknown;
  /** The session the call belongs to (data-flow taint and per-session limits). */
  readonly session?: { readonly id: string };
  /** The call's id, when known (approvals bind to it). */
  readonly callId?: string;
  /** Time of the call, epoch milliseconds. @default the engine's clock */
  readonly nowMs?: number;
  /** The runtime monitor's verdict on this call, when the guard has a monitor. @default none */
  readonly monitor?: MonitorVerdictView;
}

/** What an allow (or approved) decision obliges the caller to do. */
export interface Obligations {
  /** JSON pointers of argument/result fields to redact in the audit record. */
  readonly redact?: readonly string[];
  /** Largest result, in bytes of its JSON, that may be returned. */
  readonly maxResultBytes?: number;
  /** The call must be aborted after this many milliseconds. */
  readonly timeoutMs?: number;
  /** The weakest isolation the tool may run with; the strongest any matched rule asks for. */
  readonly isolation?: IsolationLevel;
  /** What a sandboxed tool's runner may be configured with; what every obliging rule grants. */
  readonly grants?: IsolationGrants;
}

/** The outcome of one policy decision. */
export interface Decision {
  /** What the caller must do: run the tool, refuse, or ask a human first. */
  readonly effect: Effect;
  /** The rule that decided, or `null` for the default deny (and for errors). */
  readonly ruleId: string | null;
  /** Human-readable reason, naming the rule or the default. */
  readonly reason: string;
  /** Ids of every rule that matched (in policy order), including monitored ones, then the limit that denied, if any. */
  readonly matched: readonly string[];
  /** `sha256:` hash of the policy that decided. */
  readonly policyHash: string;
  /** The policy's mode when this decision was made. */
  readonly mode: PolicyMode;
  /** Set when the effect is `allow` only because a policy or rule is in `monitor` (or `off`) mode. */
  readonly wouldDeny?: boolean;
  /** Obligations of the matched rules (on `allow` and `require_approval`). */
  readonly obligations?: Obligations;
  /** Concurrency slots this call holds; give them back with `engine.release(decision)` when the call ends. */
  readonly leases?: readonly string[];
  /**
   * Set on an enforced deny when a matched rule with `suspendAgent` had every condition true: the guard
   * suspends the agent (further calls refused until an operator resumes it).
   */
  readonly suspendAgent?: true;
}
