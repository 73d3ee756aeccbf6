import type { ControlStatusData } from '@agentguard/audit';
import { createPolicyEngine, readOnlyPreset, type RiskTier, toolRiskTier } from '@agentguard/policy';
import { isToolName, isToolPattern, toolPatternMatches } from '@agentguard/statement';
import { type EngineView, viewEngine } from './decision.js';

/**
 * The operator control hook (kill switch, suspend, quarantine). Core defines the smallest interface it needs
 * and depends on no channel: `createControlSource` of `@agentguard/incident` satisfies it as it is. The source
 * verifies operator-signed status documents; core applies the measures of the last verified one to every
 * call, after the caller is known and before the policy decides.
 */

/** What a measure applies to: every call, one agent (did:key), one tool (name or `prefix.*` pattern), or a tag. */
export type ControlScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'agent'; readonly value: string }
  | { readonly kind: 'tool'; readonly value: string }
  | { readonly kind: 'tag'; readonly value: string };

/**
 * One measure in force. `suspend` refuses every matching call (`ERR_GUARD_SUSPENDED`); `quarantine` decides
 * the calls of a matching agent with the read-only preset of `@agentguard/policy` instead of the guard's
 * policy, and drops the approvals parked for that agent.
 */
export interface ControlMeasure {
  readonly kind: 'suspend' | 'quarantine';
  readonly scope: ControlScope;
  readonly reason?: string | undefined;
}

/** The verified control status a guard applies. */
export interface ControlView {
  /** Sequence number of the signed status (monotonic). */
  readonly seq: number;
  /** `sha256:` of the signed payload. */
  readonly hash: string;
  /** The operator's did:key that signed it. */
  readonly issuer: string;
  /** RFC 3339. */
  readonly issuedAt: string;
  /** RFC 3339; past it the status no longer counts as fresh (its measures still apply). */
  readonly expiresAt: string;
  readonly measures: readonly ControlMeasure[];
  /** When the source last confirmed this is still the current status (fetched and verified), epoch ms. */
  readonly confirmedAt: number;
}

/** A status the control channel refused, or could not read, as the guard records it (`control.rejected`). */
export interface ControlRejection {
  /** The channel's code, e.g. `ERR_INCIDENT_STATUS_FORGED`. */
  readonly code: string;
  readonly reason: string;
}

/** What a guard needs of a control channel. */
export interface GuardControl {
  /** The last verified status, or undefined when none was ever verified. Must be cheap: asked on every call. */
  current(): ControlView | undefined;
  /**
   * Optional: tells the guard of every status the channel refused (forged, replayed, stale, another channel)
   * or could not read, so that it writes them to its log as `control.rejected` records. Returns the function that
   * stops telling. `createControlSource` of `@agentguard/incident` has it.
   */
  onRejected?(listener: (rejection: ControlRejection) => void): () => void;
}

/** A tool as the control check sees it. */
export interface ControlTool {
  readonly name: string;
  readonly tags: readonly string[];
  readonly labels: readonly string[];
  readonly sensitive: boolean;
  /** The tool's declared risk tier (`ToolSpec.risk`), when it has one: it replaces the computed tier. */
  readonly risk?: RiskTier | undefined;
}

/** The `control` option of `createGuard`. */
export interface ControlOptions {
  /** The channel, e.g. `createControlSource({ ... })` of `@agentguard/incident`. */
  readonly source: GuardControl;
  /**
   * How old (since `confirmedAt`) the status may be before it counts as stale; a stale (or expired, or absent)
   * status refuses the calls of high-risk tools (`ERR_GUARD_CONTROL_STALE`).
   * @default 2_000
   */
  readonly maxAgeMs?: number;
  /**
   * Which tools are high-risk: refused while the status is stale.
   * @default {@link defaultHighRisk}: risk tier `high` or `critical`, or a tool without a declared tier that writes or sends out
   */
  readonly failClosed?: (tool: ControlTool) => boolean;
  /**
   * The clock, in epoch milliseconds.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** Medium-tier marks that still act on the world: such a tool fails closed too unless it declares its tier. */
const ACTING_TAGS: ReadonlySet<string> = new Set(['write', 'external']);
const ACTING_LABELS: ReadonlySet<string> = new Set(['egress', 'writes:external']);

/**
 * The default high-risk test of {@link ControlOptions.failClosed}, on the same risk tiers as the policy's
 * `tiers` and `agentguard assess` (`toolRiskTier` of `@agentguard/policy`). A tool that declares its tier
 * (`ToolSpec.risk`) is high-risk when that tier is `high` or `critical`, and not otherwise. A tool without a
 * declared tier is high-risk when its computed tier is `high` or `critical` (payment, delete, destructive,
 * sensitive, `reads:secrets`, personal or secret data sent out), or when it acts on the world (tags `write`,
 * `external`; labels `egress`, `egress:*`, `writes:external`): a channel cut must not let writes through.
 *
 * @param tool - the tool's name, tags, labels, sensitivity and declared tier.
 * @returns whether a stale control status refuses the tool.
 * @example
 * ```ts
 * defaultHighRisk({ name: 'pay', tags: ['payment'], labels: [], sensitive: false }); // true
 * defaultHighRisk({ name: 'search', tags: [], labels: [], sensitive: false }); // false
 * defaultHighRisk({ name: 'post', tags: ['write'], labels: [], sensitive: false, risk: 'low' }); // false
 * ```
 */
export function defaultHighRisk(tool: ControlTool): boolean {
  let tier: RiskTier;
  try {
    tier = toolRiskTier({
      name: tool.name,
      tags: tool.tags,
      labels: tool.labels,
      sensitive: tool.sensitive,
      ...(tool.risk === undefined ? {} : { risk: tool.risk }),
    }).tier;
  } catch {
    return true; // a tier that cannot be read is high-risk, the stricter reading
  }
  if (tier === 'high' || tier === 'critical') return true;
  if (tool.risk !== undefined) return false;
  return (
    tool.tags.some((t) => ACTING_TAGS.has(t)) ||
    tool.labels.some((l) => ACTING_LABELS.has(l) || l.startsWith('egress:'))
  );
}

/** @internal The control hook of one guard, its options checked once. */
export interface ControlHook {
  /** The status to apply now (read once per call), or why none can be. */
  read(): {
    readonly status: ControlView | undefined;
    readonly fresh: boolean;
    readonly why: string;
    /** The source answered something that is not a status: every call is refused, whatever its risk. */
    readonly invalid?: true;
  };
  /** Whether a tool is high-risk (asked once per tool). */
  highRisk(tool: ControlTool): boolean;
  /** The read-only engine quarantined agents are decided with. */
  readonly quarantine: EngineView;
  /** The last status this guard recorded as adopted. */
  adopted(): number | undefined;
  markAdopted(seq: number): void;
}

/** Whether `scope` covers a call of `agent` to `tool`. */
export function scopeCovers(scope: ControlScope, agent: string, tool: ControlTool): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'agent':
      return scope.value === agent;
    case 'tool':
      if (scope.value === tool.name) return true;
      // A pattern (`*` anywhere, as the status format allows) matches by the tool-name grammar; a value that is
      // neither a name nor a pattern cannot be read: it covers everything (fail closed).
      if (isToolPattern(scope.value)) return toolPatternMatches(scope.value, tool.name);
      return !isToolName(scope.value);
    case 'tag':
      return tool.tags.includes(scope.value);
    default:
      // An unknown scope kind cannot be read: it covers everything (fail closed).
      return true;
  }
}

const SCOPES: ReadonlySet<unknown> = new Set(['all', 'agent', 'tool', 'tag']);

/** Why a source's answer is not a {@link ControlView} core can apply, or undefined. */
function invalidView(view: unknown): string | undefined {
  try {
    const v = view as ControlView;
    if (typeof v !== 'object' || v === null) return 'not an object';
    if (!Number.isSafeInteger(v.seq) || v.seq < 1) return 'seq';
    if (typeof v.hash !== 'string' || typeof v.issuer !== 'string') return 'hash or issuer';
    if (typeof v.issuedAt !== 'string' || !Number.isFinite(Date.parse(v.expiresAt))) return 'validity';
    if (typeof v.confirmedAt !== 'number' || !Number.isFinite(v.confirmedAt)) return 'confirmedAt';
    if (!Array.isArray(v.measures)) return 'measures';
    for (const m of v.measures) {
      if (m?.kind !== 'suspend' && m?.kind !== 'quarantine') return 'measure kind';
      if (!SCOPES.has(m.scope?.kind)) return 'measure scope';
      if (m.scope.kind !== 'all' && typeof m.scope.value !== 'string') return 'measure scope value';
      if (m.reason !== undefined && typeof m.reason !== 'string') return 'measure reason';
    }
    return undefined;
  } catch {
    return 'unreadable';
  }
}

/** @internal Checks the `control` option; TypeError / RangeError on misuse. */
export function checkControlOptions(value: unknown): void {
  if (value === undefined) return;
  const c = value as Partial<ControlOptions> | null;
  if (typeof c !== 'object' || c === null) throw new TypeError('"control" expected an object { source }');
  if (typeof c.source?.current !== 'function') {
    throw new TypeError('"control.source" expected a GuardControl with a current() method (createControlSource())');
  }
  if (c.failClosed !== undefined && typeof c.failClosed !== 'function') {
    throw new TypeError('"control.failClosed" expected a function');
  }
  if (c.clock !== undefined && typeof c.clock !== 'function')
    throw new TypeError('"control.clock" expected a function');
  const m = c.maxAgeMs;
  if (m !== undefined && (!Number.isInteger(m) || m <= 0 || m > 2_147_483_647)) {
    throw new RangeError(`"control.maxAgeMs" expected a positive integer of milliseconds, got ${String(m)}`);
  }
}

let quarantineView: EngineView | undefined;

/** @internal Builds the hook from checked options. */
export function createControlHook(options: ControlOptions): ControlHook {
  const { source } = options;
  const maxAgeMs = options.maxAgeMs ?? 2_000;
  const failClosed = options.failClosed ?? defaultHighRisk;
  const clock = options.clock ?? Date.now;
  if (quarantineView === undefined) {
    const view = viewEngine(createPolicyEngine(readOnlyPreset({ id: 'agentguard/quarantine' })));
    if ('error' in view) throw new Error(`read-only preset unusable: ${view.error}`);
    quarantineView = view;
  }
  const quarantine = quarantineView;
  const risk = new WeakMap<object, boolean>();
  let adopted: number | undefined;
  const hook: ControlHook = {
    quarantine,
    read() {
      let status: ControlView | undefined;
      try {
        status = source.current();
      } catch {
        return { status: undefined, fresh: false, why: 'the control source failed' };
      }
      if (status === undefined) return { status: undefined, fresh: false, why: 'no verified control status yet' };
      const problem = invalidView(status);
      if (problem !== undefined) {
        return {
          status: undefined,
          fresh: false,
          why: `the control source gave no valid status: ${problem}`,
          invalid: true as const,
        };
      }
      const now = clock();
      const age = now - status.confirmedAt;
      if (!(age <= maxAgeMs)) {
        return {
          status,
          fresh: false,
          why: `control status ${status.seq} last confirmed ${age} ms ago (bound ${maxAgeMs} ms)`,
        };
      }
      const expires = Date.parse(status.expiresAt);
      if (!(expires > now))
        return { status, fresh: false, why: `control status ${status.seq} expired at ${status.expiresAt}` };
      return { status, fresh: true, why: '' };
    },
    highRisk(tool: ControlTool) {
      let known = risk.get(tool);
      if (known === undefined) {
        try {
          known = failClosed(tool) === true;
        } catch {
          known = true; // unsure: high-risk, the stricter reading
        }
        risk.set(tool, known);
      }
      return known;
    },
    adopted: () => adopted,
    markAdopted(seq: number) {
      if (adopted === undefined || seq > adopted) adopted = seq;
    },
  };
  return Object.freeze(hook);
}

/** @internal The `control.status` record of a newly adopted status. */
export function statusRecord(status: ControlView, previous: number | undefined, dropped: number): ControlStatusData {
  return {
    seq: status.seq,
    previousSeq: previous ?? null,
    hash: status.hash,
    issuer: status.issuer,
    issuedAt: status.issuedAt,
    expiresAt: status.expiresAt,
    measures: status.measures.map((m) => ({
      kind: m.kind,
      scope: m.scope.kind === 'all' ? { kind: 'all' } : { kind: m.scope.kind, value: m.scope.value },
      ...(m.reason === undefined ? {} : { reason: m.reason }),
    })),
    approvalsDropped: dropped,
  };
}
