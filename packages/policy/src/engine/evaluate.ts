import type { CompiledPolicy, CompiledRule, MatchContext } from './compile.js';
import { FALSE, TRUE } from '../match/conditions.js';
import type { Decision, DecisionRequest, Obligations } from './decision.js';
import type { Effect, PolicyMode } from '../document/schema.js';
import { snapshotJson } from './snapshot.js';
import { type IsolationLevel, strongerIsolation } from '../isolation/levels.js';
import { mergeGrants } from '../isolation/grants.js';
import { isRiskTier, RISK_TIERS } from '../tools/risk.js';

interface Outcome {
  readonly effect: Effect;
  readonly rule: CompiledRule | null;
}

// Precedence: deny > require_approval > allow > default deny. Ties go to the earlier rule.
const RANK: Record<Effect, number> = { deny: 3, require_approval: 2, allow: 1 };

function combine(matched: readonly CompiledRule[]): Outcome {
  let best: CompiledRule | null = null;
  for (const rule of matched) {
    if (best === null || RANK[rule.effect] > RANK[best.effect]) best = rule;
  }
  return best === null ? { effect: 'deny', rule: null } : { effect: best.effect, rule: best };
}

/**
 * Merges obligations; when several rules oblige, the strictest limit (and the strongest isolation) wins and
 * redactions add up.
 */
export function mergeObligations(list: readonly (Obligations | undefined)[]): Obligations | undefined {
  let redact: string[] | undefined;
  let maxResultBytes: number | undefined;
  let timeoutMs: number | undefined;
  let isolation: IsolationLevel | undefined;
  for (const o of list) {
    if (o === undefined) continue;
    if (o.redact !== undefined) redact = [...new Set([...(redact ?? []), ...o.redact])];
    if (o.maxResultBytes !== undefined) maxResultBytes = Math.min(maxResultBytes ?? Infinity, o.maxResultBytes);
    if (o.timeoutMs !== undefined) timeoutMs = Math.min(timeoutMs ?? Infinity, o.timeoutMs);
    if (o.isolation !== undefined) isolation = strongerIsolation(isolation ?? 'none', o.isolation);
  }
  // Grants narrow: a call may use only what every obliging rule (and the policy default) grants.
  const grants = mergeGrants(list.map((o) => o?.grants));
  if (
    redact === undefined &&
    maxResultBytes === undefined &&
    timeoutMs === undefined &&
    isolation === undefined &&
    grants === undefined
  ) {
    return undefined;
  }
  // Member by member, not as a literal of spreads: on Node 20 (V8 11.3), such a literal makes a new hidden class
  // each time, and the decisions it is part of outlived the young-generation collection meant to free them.
  const merged: { -readonly [K in keyof Obligations]: Obligations[K] } = {};
  if (redact !== undefined) merged.redact = Object.freeze(redact);
  if (maxResultBytes !== undefined) merged.maxResultBytes = maxResultBytes;
  if (timeoutMs !== undefined) merged.timeoutMs = timeoutMs;
  if (isolation !== undefined) merged.isolation = isolation;
  if (grants !== undefined) merged.grants = grants;
  return Object.freeze(merged);
}

function describeCall(request: DecisionRequest): string {
  return `tool ${JSON.stringify(request.tool.name)} for agent ${JSON.stringify(request.agent.name)}`;
}

function reasonFor(outcome: Outcome, request: DecisionRequest, notes: readonly string[]): string {
  const rule = outcome.rule;
  if (rule === null) {
    // Say why an allow rule did not apply when a condition was undecided (a budget, an ambiguous path or URL).
    const shown = [...new Set(notes)].slice(0, 3).join('; ');
    return `no rule allows ${describeCall(request)} (default deny${shown === '' ? '' : `; undecided: ${shown}`})`;
  }
  const verb = { allow: 'allows', deny: 'denies', require_approval: 'requires approval for' }[rule.effect];
  const base = rule.reason ?? `rule ${JSON.stringify(rule.id)} ${verb} ${describeCall(request)}`;
  return rule.effect !== 'allow' && notes.length > 0 ? `${base} (undecided, so applied: ${notes.join('; ')})` : base;
}

const AGENT_FIELDS = [
  'id',
  'name',
  'owner',
  'environment',
  'riskTier',
  'scopes',
  'credentialId',
  'delegationDepth',
] as const;
const TOOL_FIELDS = ['name', 'tags', 'labels', 'tier'] as const;
const MONITOR_FIELDS = ['status', 'score', 'flagged', 'features', 'reason'] as const;

/** Reads each listed own data property once; arrays are copied. Accessors are refused. */
function copyFields(value: unknown, fields: readonly string[], name: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const d = Object.getOwnPropertyDescriptor(value, field);
    if (d === undefined) continue;
    if (!('value' in d)) throw new TypeError(`"${name}.${field}" is an accessor property, expected data`);
    out[field] = Array.isArray(d.value) ? snapshotJson(d.value, `${name}.${field}`) : d.value;
  }
  return out;
}

/**
 * Copies a request into fresh plain data, private to the engine, before it is checked and
 * decided on, so every rule sees one value: each field is read once, and the
 * arguments are copied as JSON (getters, Proxies that change their answer,
 * class instances and cycles are refused; `undefined` members are dropped as
 * `JSON.stringify` drops them).
 *
 * @throws TypeError naming the field that cannot be copied.
 */
export function snapshotRequest(request: DecisionRequest): DecisionRequest {
  if (typeof request !== 'object' || request === null) throw new TypeError('"request" expected an object');
  const session = dataField(request, 'session');
  const nowMs = dataField(request, 'nowMs');
  const callId = dataField(request, 'callId');
  const args = dataField(request, 'args');
  const monitor = dataField(request, 'monitor');
  const copy = {
    agent: copyFields(dataField(request, 'agent'), AGENT_FIELDS, 'request.agent'),
    tool: copyFields(dataField(request, 'tool'), TOOL_FIELDS, 'request.tool'),
    args: args === undefined ? undefined : snapshotJson(args, 'request.args', ARGS_COPY),
    ...(session === undefined ? {} : { session: copyFields(session, SESSION_FIELDS, 'request.session') }),
    ...(callId === undefined ? {} : { callId }),
    ...(nowMs === undefined ? {} : { nowMs }),
    ...(monitor === undefined ? {} : { monitor: copyFields(monitor, MONITOR_FIELDS, 'request.monitor') }),
  } as DecisionRequest;
  // Not frozen: the copy never leaves the engine, and nothing in it writes to it.
  return copy;
}

const ARGS_COPY = Object.freeze({ undefinedProperties: 'drop', allowNonFinite: true } as const);
const SESSION_FIELDS = ['id'] as const;

/** One own data property of the request, read once through its descriptor (module-level: no closure per call). */
function dataField(request: object, name: string): unknown {
  const d = Object.getOwnPropertyDescriptor(request, name);
  if (d === undefined) return undefined;
  if (!('value' in d)) throw new TypeError(`"request.${name}" is an accessor property, expected data`);
  return d.value;
}

function isStringArray(list: unknown): boolean {
  return Array.isArray(list) && list.every(isString);
}

function isString(x: unknown): boolean {
  return typeof x === 'string';
}

/** Checks the request's shape; a malformed request is an evaluation error (and so a deny). */
export function assertRequest(request: DecisionRequest): void {
  const r = request as Partial<DecisionRequest> | null;
  if (typeof r !== 'object' || r === null) throw new TypeError('"request" expected an object');
  if (typeof r.tool !== 'object' || r.tool === null || typeof r.tool.name !== 'string') {
    throw new TypeError('"request.tool.name" expected string');
  }
  if (typeof r.agent !== 'object' || r.agent === null) throw new TypeError('"request.agent" expected an object');
  if (typeof r.agent.id !== 'string' || typeof r.agent.name !== 'string') {
    throw new TypeError('"request.agent.id" and "request.agent.name" expected strings');
  }
  for (const key of ['tags', 'labels'] as const) {
    if (r.tool[key] !== undefined && !isStringArray(r.tool[key])) {
      throw new TypeError(`"request.tool.${key}" expected an array of strings`);
    }
  }
  if (r.tool.tier !== undefined && !isRiskTier(r.tool.tier)) {
    throw new TypeError(`"request.tool.tier" expected one of ${RISK_TIERS.join(', ')}`);
  }
  // A string where a list belongs would turn `includes` into a substring test: refuse it.
  const a = r.agent;
  if (a.scopes !== undefined && !isStringArray(a.scopes))
    throw new TypeError('"request.agent.scopes" expected an array of strings');
  for (const key of ['owner', 'environment', 'riskTier', 'credentialId'] as const) {
    if (a[key] !== undefined && typeof a[key] !== 'string')
      throw new TypeError(`"request.agent.${key}" expected string`);
  }
  const depth = a.delegationDepth;
  if (depth !== undefined && !(Number.isSafeInteger(depth) && depth >= 0)) {
    throw new TypeError('"request.agent.delegationDepth" expected a non-negative integer');
  }
  if (
    r.session !== undefined &&
    (typeof r.session !== 'object' || r.session === null || typeof r.session.id !== 'string')
  ) {
    throw new TypeError('"request.session.id" expected string');
  }
  if (r.monitor !== undefined) assertMonitor(r.monitor);
}

/** A monitor verdict must be exactly one of the two shapes: anything else is an evaluation error (a deny). */
function assertMonitor(m: unknown): void {
  const v = m as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null) throw new TypeError('"request.monitor" expected an object');
  if (v.status === 'failed') {
    if (typeof v.reason !== 'string') throw new TypeError('"request.monitor.reason" expected string');
    return;
  }
  if (v.status !== 'scored') throw new TypeError("\"request.monitor.status\" expected 'scored' or 'failed'");
  if (typeof v.score !== 'number' || !Number.isFinite(v.score) || v.score < 0) {
    throw new TypeError('"request.monitor.score" expected a finite number >= 0');
  }
  if (typeof v.flagged !== 'boolean') throw new TypeError('"request.monitor.flagged" expected boolean');
  if (!Array.isArray(v.features) || !v.features.every((f) => typeof f === 'string')) {
    throw new TypeError('"request.monitor.features" expected an array of strings');
  }
}

/**
 * Evaluates a request against the compiled rules. `policyMode` is the
 * policy's mode; with `selfTest`, every rule not switched off counts as
 * enforced (the self-test checks the policy as it would be enforced).
 */
export function evaluate(
  compiled: CompiledPolicy,
  policyMode: PolicyMode,
  ctx: MatchContext,
  hash: string,
  selfTest = false,
): Decision {
  const { request } = ctx;
  const matched: CompiledRule[] = [];
  // An enforced suspending rule that matched outright (an undecided condition denies, but does not suspend).
  let suspend = false;
  for (const rule of compiled.candidates(request.tool.name)) {
    const mode = selfTest ? rule.ownMode : rule.mode;
    if (mode === 'off') continue;
    const m = rule.matches(ctx);
    // An undecided condition never grants, but does restrict (fail closed).
    if (m === TRUE || (m !== FALSE && rule.effect !== 'allow')) matched.push(rule);
    if (m === TRUE && rule.suspendAgent && mode === 'enforce') suspend = true;
  }
  const full = combine(matched);
  // Monitored rules never block; in a monitored policy nothing does (not even the default deny).
  const enforced: Outcome = selfTest
    ? full
    : policyMode === 'enforce'
      ? combine(matched.filter(isEnforcedOrAllow))
      : { effect: 'allow', rule: full.rule };
  const ids = Object.freeze(matched.map(idOf));
  const base = { matched: ids, policyHash: hash, mode: policyMode };
  if (enforced.effect === 'allow' && full.effect !== 'allow') {
    const would = full.effect === 'deny' ? 'deny' : 'require approval';
    return {
      effect: 'allow',
      ruleId: full.rule?.id ?? null,
      reason: `${policyMode === 'enforce' ? 'monitored rule' : `policy in ${policyMode} mode`}: would ${would}: ${reasonFor(full, request, ctx.notes)}`,
      ...base,
      wouldDeny: true,
      ...obligationsOf(compiled, matched, 'allow'),
    };
  }
  return {
    effect: enforced.effect,
    ruleId: enforced.rule?.id ?? null,
    reason: reasonFor(enforced, request, ctx.notes),
    ...base,
    ...(enforced.effect === 'deny' ? {} : obligationsOf(compiled, matched, enforced.effect)),
    ...(enforced.effect === 'deny' && suspend && policyMode === 'enforce' ? { suspendAgent: true as const } : {}),
  };
}

const isEnforcedOrAllow = (r: CompiledRule): boolean => r.effect === 'allow' || r.mode === 'enforce';
const idOf = (r: CompiledRule): string => r.id;

function obligationsOf(
  compiled: CompiledPolicy,
  matched: readonly CompiledRule[],
  effect: Effect,
): { obligations?: Obligations } {
  const from = matched.filter((r) => r.effect === 'allow' || (effect === 'require_approval' && r.effect === effect));
  const obligations = mergeObligations([compiled.obligations, ...from.map((r) => r.obligations)]);
  return obligations === undefined ? {} : { obligations };
}

/** The decision returned when evaluation itself failed: always a deny, never a throw. */
export function failClosed(error: unknown, hash: string, mode: PolicyMode): Decision {
  const message = error instanceof Error ? error.message : String(error);
  return {
    effect: 'deny',
    ruleId: null,
    reason: `policy evaluation failed (ERR_POLICY_EVALUATION): ${message}`,
    matched: Object.freeze([]),
    policyHash: hash,
    mode,
  };
}
