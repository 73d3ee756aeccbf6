import {
  type Decision,
  type DecisionRequest,
  type IsolationGrants,
  type IsolationLevel,
  isIsolationLevel,
  type Obligations,
  type PolicyEngine,
} from '@agentguard/policy';
import { isEgressGrant, isGrantPath } from '@agentguard/policy/internal';
import { textOf } from './text.js';
import { runWithTimeout, stopKind } from './timeout.js';

/**
 * The policy engine is a public interface: a custom engine (or a broken one) may return anything, throw from
 * any method or getter, or never answer. Core runs a tool only on a decision it validated here whose effect
 * is exactly `'allow'`; anything else is a denial with a reason.
 */

/** How long a policy engine may take to decide (or hold, or release) before the call is denied. */
export const DEFAULT_DECISION_TIMEOUT_MS = 30_000;

const EFFECTS: ReadonlySet<unknown> = new Set(['allow', 'deny', 'require_approval']);
const MODES: ReadonlySet<unknown> = new Set(['enforce', 'monitor', 'off']);
const OBLIGATIONS: ReadonlySet<string> = new Set(['redact', 'maxResultBytes', 'timeoutMs', 'isolation', 'grants']);
// As the call envelope and the audit record bound a policy hash: 1-256 printable ASCII, no space.
const HASH = /^[\x21-\x7e]{1,256}$/;
const MAX_LIST = 10_000;

/** What a call needs to read off its engine once, before anything else: its hash and the fields it redacts. */
export interface EngineView {
  readonly engine: PolicyEngine;
  readonly hash: string;
  /** Union of the `redact` obligations of the policy's rules (applied to the request record). */
  readonly redactFields: readonly string[];
}

const views = new WeakMap<object, { hash: string; redactFields: readonly string[] }>();

function strings(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || value.length > MAX_LIST || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`${what} expected an array of strings`);
  }
  return Object.freeze([...value]);
}

/**
 * Reads the engine's hash and the redact fields of its rules, once per call (a getter is read once, so it
 * cannot answer differently to different steps). A policy without `rules` redacts no field.
 * @returns the view, or a reason why the engine cannot be used.
 */
export function viewEngine(engine: PolicyEngine): EngineView | { readonly error: string } {
  try {
    const hash: unknown = engine.hash;
    if (typeof hash !== 'string' || !HASH.test(hash)) return { error: 'the policy engine has no valid hash' };
    const cached = views.get(engine);
    if (cached !== undefined && cached.hash === hash) return { engine, ...cached };
    const policy: unknown = (engine as { policy?: unknown }).policy;
    let redactFields: readonly string[] = [];
    if (policy !== undefined) {
      const rules: unknown = (policy as { rules?: unknown } | null)?.rules;
      if (rules !== undefined) {
        if (!Array.isArray(rules) || rules.length > MAX_LIST) throw new TypeError('"policy.rules" expected an array');
        const fields = new Set<string>();
        for (const rule of rules) {
          const redact: unknown = (rule as { obligations?: { redact?: unknown } } | null)?.obligations?.redact;
          if (redact !== undefined) for (const f of strings(redact, '"obligations.redact"')) fields.add(f);
        }
        redactFields = Object.freeze([...fields]);
      }
    }
    views.set(engine, { hash, redactFields });
    return { engine, hash, redactFields };
  } catch (error) {
    return { error: `the policy engine could not be read: ${textOf(error)}` };
  }
}

const GRANT_KINDS: ReadonlySet<string> = new Set(['read', 'write', 'egress']);

/** A custom engine's grants, held to the policy schema's own shape (normalised paths, `host:port`). */
function checkGrants(value: unknown): IsolationGrants {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('"obligations.grants" expected an object');
  }
  for (const key of Object.keys(value)) {
    // A grant core does not know could be one the runner cannot be held to: refuse the decision.
    if (!GRANT_KINDS.has(key)) throw new TypeError(`unknown grant "${key.slice(0, 64)}"`);
  }
  const { read, write, egress } = value as Record<string, unknown>;
  const list = (v: unknown, name: string, ok: (s: unknown) => boolean): readonly string[] => {
    if (!Array.isArray(v) || v.length > 256 || !v.every(ok)) {
      throw new TypeError(
        `"obligations.grants.${name}" expected at most 256 ${name === 'egress' ? "'host:port' entries" : 'normalised absolute paths'}`,
      );
    }
    return Object.freeze([...(v as string[])]);
  };
  return Object.freeze({
    read: read === undefined ? Object.freeze([]) : list(read, 'read', isGrantPath),
    write: write === undefined ? Object.freeze([]) : list(write, 'write', isGrantPath),
    egress: egress === undefined ? Object.freeze([]) : list(egress, 'egress', isEgressGrant),
  });
}

function checkObligations(value: unknown): Obligations {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('"obligations" expected an object');
  }
  const out: {
    redact?: readonly string[];
    maxResultBytes?: number;
    timeoutMs?: number;
    isolation?: IsolationLevel;
    grants?: IsolationGrants;
  } = {};
  for (const key of Object.keys(value)) {
    // An obligation core does not know is one it cannot fulfil: refuse rather than ignore it.
    if (!OBLIGATIONS.has(key)) throw new TypeError(`unknown obligation "${key.slice(0, 64)}"`);
  }
  const { redact, maxResultBytes, timeoutMs, isolation, grants } = value as Record<string, unknown>;
  if (redact !== undefined) out.redact = strings(redact, '"obligations.redact"');
  if (maxResultBytes !== undefined) {
    if (!Number.isSafeInteger(maxResultBytes) || (maxResultBytes as number) < 0) {
      throw new TypeError('"obligations.maxResultBytes" expected a non-negative integer');
    }
    out.maxResultBytes = maxResultBytes as number;
  }
  if (timeoutMs !== undefined) {
    if (!Number.isSafeInteger(timeoutMs) || (timeoutMs as number) <= 0 || (timeoutMs as number) > 2_147_483_647) {
      throw new TypeError('"obligations.timeoutMs" expected a positive integer of milliseconds');
    }
    out.timeoutMs = timeoutMs as number;
  }
  if (isolation !== undefined) {
    // A level core does not know cannot be met: refuse the decision rather than guess its rank.
    if (!isIsolationLevel(isolation)) {
      throw new TypeError(
        `"obligations.isolation" expected 'none', 'process' or 'bwrap', got ${JSON.stringify(isolation)}`,
      );
    }
    out.isolation = isolation;
  }
  if (grants !== undefined) out.grants = checkGrants(grants);
  return Object.freeze(out);
}

/**
 * Validates a whole decision an engine returned and copies it into a frozen, plain object (each field read
 * once): effect in the closed set, reason a string, rule id a string or null, matched a list of strings,
 * policy hash a string, mode in the closed set, wouldDeny a boolean, obligations well-formed and known,
 * leases a list of strings.
 * @returns the copy, or why the decision cannot be used (the call is then denied).
 */
export function checkDecision(raw: unknown): { ok: true; decision: Decision } | { ok: false; reason: string } {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, reason: `the policy engine returned ${raw === null ? 'null' : typeof raw}, not a decision` };
    }
    const r = raw as Record<string, unknown>;
    const { effect, reason, ruleId, matched, policyHash, mode, wouldDeny, obligations, leases, suspendAgent } = r;
    if (typeof effect !== 'string' || !EFFECTS.has(effect)) {
      return {
        ok: false,
        reason: `the policy engine returned an unknown effect ${JSON.stringify(textOf(effect).slice(0, 64))}`,
      };
    }
    if (typeof reason !== 'string')
      return { ok: false, reason: 'the policy engine returned a decision without a reason' };
    if (ruleId !== null && typeof ruleId !== 'string') {
      return { ok: false, reason: 'the policy engine returned a decision whose ruleId is not a string or null' };
    }
    if (typeof policyHash !== 'string')
      return { ok: false, reason: 'the policy engine returned a decision without a policyHash' };
    if (!MODES.has(mode)) return { ok: false, reason: 'the policy engine returned a decision with an unknown mode' };
    if (wouldDeny !== undefined && typeof wouldDeny !== 'boolean') {
      return { ok: false, reason: 'the policy engine returned a decision whose wouldDeny is not a boolean' };
    }
    if (suspendAgent !== undefined && typeof suspendAgent !== 'boolean') {
      return { ok: false, reason: 'the policy engine returned a decision whose suspendAgent is not a boolean' };
    }
    const decision: Decision = {
      effect: effect as Decision['effect'],
      ruleId,
      reason,
      matched: strings(matched, '"matched"'),
      policyHash,
      mode: mode as Decision['mode'],
      ...(wouldDeny === undefined ? {} : { wouldDeny }),
      ...(obligations === undefined ? {} : { obligations: checkObligations(obligations) }),
      ...(leases === undefined ? {} : { leases: strings(leases, '"leases"') }),
      ...(suspendAgent === true && effect === 'deny' ? { suspendAgent: true as const } : {}),
    };
    return { ok: true, decision: Object.freeze(decision) };
  } catch (error) {
    return { ok: false, reason: `the policy engine returned a malformed decision: ${textOf(error)}` };
  }
}

/** The outcome of asking an engine: a validated decision, or why there is none (with what came back, to release). */
export type Asked = { ok: true; decision: Decision } | { ok: false; reason: string; raw?: unknown };

/**
 * Calls one engine method, bounded in time; a throw, a rejection, no answer or a malformed answer is a reason.
 * So is a decision asking to redact fields its policy does not declare: the request record, written before
 * the decision, redacted the declared fields only.
 */
export async function ask(view: EngineView, call: () => unknown, timeoutMs: number): Promise<Asked> {
  let raw: unknown;
  try {
    // An engine that answers at once (the built-in one does) needs no timer: nothing could interrupt it
    // anyway. One that answers with a promise is bounded by `timeoutMs`.
    const answer = call();
    raw = isThenable(answer) ? await runWithTimeout(() => answer, timeoutMs) : answer;
  } catch (error) {
    const reason =
      stopKind(error) === 'timeout'
        ? `policy evaluation failed: the policy engine gave no decision within ${timeoutMs} ms`
        : `policy evaluation failed: ${textOf(error)}`;
    return { ok: false, reason };
  }
  const checked = checkDecision(raw);
  if (!checked.ok) return { ok: false, reason: `policy evaluation failed: ${checked.reason}`, raw };
  const undeclared = (checked.decision.obligations?.redact ?? []).some((f) => !view.redactFields.includes(f));
  if (undeclared) {
    const reason = 'policy evaluation failed: the decision asks to redact fields its policy does not declare';
    return { ok: false, reason, raw };
  }
  return checked;
}

/** Whether `value` is a promise or thenable (its `then` read once; a throwing getter throws). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `engine.decide(request)`, validated and bounded. */
export function decide(view: EngineView, request: DecisionRequest, timeoutMs: number): Promise<Asked> {
  return ask(view, () => view.engine.decide(request), timeoutMs);
}

/** `engine.hold(request, parked)`, validated and bounded. */
export function hold(view: EngineView, request: DecisionRequest, parked: Decision, timeoutMs: number): Promise<Asked> {
  return ask(view, () => view.engine.hold(request, parked), timeoutMs);
}

/** Whether releasing `raw` could give back slots: a decision (valid or not) that names leases. */
export function holdsLeases(raw: unknown): boolean {
  try {
    const leases = (raw as { leases?: unknown } | null)?.leases;
    return Array.isArray(leases) && leases.length > 0;
  } catch {
    return false;
  }
}

/** `engine.release(decision)`, bounded in time; whatever it does (throw, reject, hang) ends the call anyway. */
export async function release(engine: PolicyEngine, decision: unknown, timeoutMs: number): Promise<void> {
  try {
    await runWithTimeout(() => engine.release(decision as Decision), timeoutMs);
  } catch {
    // Slots a broken engine keeps are its own problem; the call's outcome stands.
  }
}
