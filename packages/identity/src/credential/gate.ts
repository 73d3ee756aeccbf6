/**
 * The per-call credential check a guard runs: verify the presented chain (cached
 * per session), bind it to the agent that signed the call, check the call
 * against the effective rights, and count calls against the budget.
 */
import type { CredentialClaims, RiskTier } from './claims.js';
import { failureOf, readClock, type RevocationChecker } from './options.js';
import { type ChainFailure, createChainCache, verifyChain } from '../delegation/chain.js';
import { type Rights, rightsDenial } from '../delegation/rights.js';
import type { TrustAnchors } from '../trust/anchors.js';

/** Options of {@link createCredentialGate}. */
export interface CredentialGateOptions {
  /** Trust anchors (authorities). */
  readonly anchors: TrustAnchors;
  /** Revocation checker, consulted on every call. @default none (pass one in production) */
  readonly revocation?: RevocationChecker;
  /** Clock skew, ms (0 to 300 000). @default 30_000 */
  readonly clockSkewMs?: number;
  /** Most delegation links. @default 4 */
  readonly maxDepth?: number;
  /**
   * Clock, epoch ms. A clock that throws or returns a non-finite number makes every presented credential fail
   * with `ERR_IDENTITY_CREDENTIAL_DENIED` (its validity cannot be decided).
   * @default Date.now
   */
  readonly clock?: () => number;
  /** Verified chains kept (signatures checked once per chain). @default 1024 */
  readonly cacheSize?: number;
  /**
   * Budget counters kept (one per grant with `maxCalls`). When full, new budgeted chains are refused
   * (`ERR_IDENTITY_CALL_BUDGET_EXCEEDED`) rather than an old count forgotten.
   * @default 65_536
   */
  readonly maxBudgets?: number;
}

/** One call to check. */
export interface GateCall {
  /** The presented credential, or chain `[credential, …links]`; undefined when the agent presented none. */
  readonly chain?: string | readonly string[];
  /** The did:key that signed the call envelope: must be the chain's final subject (proof of possession). */
  readonly agent: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Scopes the call needs. @default [] */
  readonly scopes?: readonly string[];
  /** Whether a credential is required for this call (the policy decides; e.g. always for `high` risk tier). */
  readonly required: boolean;
}

/** The gate's answer. */
export type GateResult =
  | { readonly ok: true; readonly presented: false }
  | {
      readonly ok: true;
      readonly presented: true;
      readonly rights: Rights;
      readonly root: CredentialClaims;
      readonly riskTier: RiskTier;
      /** Most calls counted against any budget of the chain, including this one (0 when no budget is set). */
      readonly calls: number;
    }
  | ChainFailure;

/** A per-session credential gate. */
export interface CredentialGate {
  /**
   * Checks one call. Never throws on hostile input. Failure codes: `ERR_IDENTITY_CREDENTIAL_REQUIRED`,
   * `ERR_IDENTITY_HOLDER_MISMATCH`, `ERR_IDENTITY_CREDENTIAL_DENIED`, `ERR_IDENTITY_CALL_BUDGET_EXCEEDED`, and every code of `verifyChain`.
   */
  check(call: GateCall): Promise<GateResult>;
}

/**
 * Creates a credential gate for a guard: one per process or session, so that
 * chain signatures are verified once and call budgets are counted. Budgets live
 * in this process's memory: a restarted process starts counting again.
 *
 * @example
 * ```ts
 * const gate = createCredentialGate({ anchors, revocation });
 * const r = await gate.check({ chain, agent: envelopeSigner, tool: 'fs.read', args, required: tier === 'high' });
 * if (!r.ok) throw deny(r.code, r.reason);
 * ```
 */
export function createCredentialGate(options: CredentialGateOptions): CredentialGate {
  const clock = options.clock === undefined ? Date.now : options.clock;
  const cacheSize = options.cacheSize ?? 1024;
  const cache = createChainCache({ maxEntries: cacheSize });
  const budgets = new Map<string, number>();
  const maxBudgets = options.maxBudgets ?? 65_536;
  const base = {
    anchors: options.anchors,
    cache,
    ...(options.revocation === undefined ? {} : { revocation: options.revocation }),
    ...(options.clockSkewMs === undefined ? {} : { clockSkewMs: options.clockSkewMs }),
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
  };
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  return Object.freeze({
    async check(call: GateCall): Promise<GateResult> {
      if (call.chain === undefined) {
        return call.required
          ? {
              ok: false,
              code: 'ERR_IDENTITY_CREDENTIAL_REQUIRED',
              reason: `a credential is required to call "${String(call.tool)}"`,
            }
          : { ok: true, presented: false };
      }
      let at: number;
      try {
        at = readClock(clock, 'ERR_IDENTITY_CREDENTIAL_DENIED');
      } catch (error) {
        return failureOf(error);
      }
      const chain = typeof call.chain === 'string' ? [call.chain] : call.chain;
      const r = await verifyChain(chain, Object.assign({}, base, { nowMs: at }));
      if (!r.ok) return r;
      if (r.subject !== call.agent) {
        return {
          ok: false,
          code: 'ERR_IDENTITY_HOLDER_MISMATCH',
          reason: `the credential was issued to ${r.subject}, but the call is signed by ${String(call.agent)}`,
        };
      }
      const denial = rightsDenial(r.rights, {
        tool: call.tool,
        args: call.args,
        at: at / 1000,
        ...(call.scopes === undefined ? {} : { scopes: call.scopes }),
      });
      if (denial !== undefined) return { ok: false, code: 'ERR_IDENTITY_CREDENTIAL_DENIED', reason: denial };
      // Every link's budget counts, not only the last one's: otherwise an agent could mint many sibling
      // delegations, each with its parent's budget, and multiply its calls. Token ids name each prefix
      // exactly (each link's prf pins its parent).
      const grants = [r.root, ...r.links];
      const counted: Array<{ key: string; used: number }> = [];
      let key = '';
      for (const grant of grants) {
        key = key === '' ? grant.jti : `${key}/${grant.jti}`;
        if (grant.maxCalls === undefined) continue;
        const used = (budgets.get(key) ?? 0) + 1;
        if (used > grant.maxCalls) {
          return {
            ok: false,
            code: 'ERR_IDENTITY_CALL_BUDGET_EXCEEDED',
            reason: `grant "${grant.jti}" allows ${grant.maxCalls} call(s)`,
          };
        }
        counted.push({ key, used });
      }
      const fresh = counted.filter((c) => !budgets.has(c.key)).length;
      if (budgets.size + fresh > maxBudgets) {
        // Fail closed rather than forget a count (which would reset a budget).
        return { ok: false, code: 'ERR_IDENTITY_CALL_BUDGET_EXCEEDED', reason: 'call-budget table is full' };
      }
      for (const c of counted) budgets.set(c.key, c.used);
      const calls = counted.length === 0 ? 0 : Math.max(...counted.map((c) => c.used));
      return { ok: true, presented: true, rights: r.rights, root: r.root, riskTier: r.root.riskTier, calls };
    },
  });
}
