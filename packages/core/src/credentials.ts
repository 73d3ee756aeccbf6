import {
  type CredentialGate,
  createCredentialGate,
  type RevocationChecker,
  type TrustAnchors,
} from '@agentguard/identity';
import { fromBase64Url, fromUtf8 } from '@agentguard/statement';
import type { DecisionAgent } from '@agentguard/policy';
import type { CredentialRecordCode } from './errors.js';

/** How a guard checks the agent's credential (issued by an authority, possibly delegated). */
export interface CredentialOptions {
  /** The authorities whose credentials count (`createTrustAnchors`). */
  readonly anchors: TrustAnchors;
  /**
   * The agent's credential (compact JWS), or its delegation chain `[credential, …links]`,
   * presented with every call.
   */
  readonly chain?: string | readonly string[];
  /** Revocation checker, consulted on every call (`createRevocationChecker`). @default none */
  readonly revocation?: RevocationChecker;
  /**
   * Whether a call without a valid credential is refused. Secure by default: once anchors are
   * configured, every call must carry a credential that verifies to one of them.
   * @default true
   */
  readonly required?: boolean;
  /** Tolerated clock difference, ms (at most 300 000). @default 60_000 */
  readonly clockSkewMs?: number;
  /** Most delegation links. @default 4 */
  readonly maxDepth?: number;
}

/** What a credential check found: the policy's view of the agent, or a refusal. */
export type CredentialVerdict =
  | {
      readonly ok: true;
      readonly agent: Partial<DecisionAgent>;
      /**
       * The did:keys of the agent's delegation chain (the root credential's subject and every link's
       * subject, the agent's own key last): none of them may approve the agent's calls.
       */
      readonly keys: readonly string[];
    }
  | { readonly ok: false; readonly code: CredentialRecordCode; readonly reason: string };

/** Checks each call's credential chain; chains are verified once and cached, revocation every call. */
export interface CredentialCheck {
  check(call: { agent: string; tool: string; args: unknown }): Promise<CredentialVerdict>;
  /**
   * The subjects named by the configured chain's tokens, decoded without verifying them (for excluding them
   * as approvers, where naming more keys is the safe side); empty when there is none or it cannot be read.
   */
  holders(): readonly string[];
}

/** Builds the per-guard credential check; without options, calls carry no credential and need none. */
export function createCredentialCheck(options: CredentialOptions | undefined): CredentialCheck {
  if (options === undefined) {
    return Object.freeze({ check: async () => ({ ok: true, agent: {}, keys: [] }) as const, holders: () => [] });
  }
  if (typeof options.anchors?.resolve !== 'function') {
    throw new TypeError('"credentials.anchors" expected trust anchors (createTrustAnchors())');
  }
  const gate: CredentialGate = createCredentialGate({
    anchors: options.anchors,
    ...(options.revocation === undefined ? {} : { revocation: options.revocation }),
    ...(options.clockSkewMs === undefined ? {} : { clockSkewMs: options.clockSkewMs }),
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
  });
  const required = options.required ?? true;
  const chain = typeof options.chain === 'string' ? options.chain : options.chain && Object.freeze([...options.chain]);
  // The holders of the chain, read from its tokens once they verified (the gate checked every signature).
  let holders: readonly string[] | undefined;
  function chainKeys(): readonly string[] {
    if (holders !== undefined) return holders;
    const tokens = chain === undefined ? [] : typeof chain === 'string' ? [chain] : chain;
    const keys = new Set<string>();
    for (const token of tokens) {
      const payload = JSON.parse(fromUtf8(fromBase64Url(token.split('.')[1] ?? ''))) as {
        sub?: unknown;
        iss?: unknown;
      };
      if (typeof payload.sub !== 'string') throw new TypeError('a token of the chain has no subject');
      keys.add(payload.sub);
      // A link's issuer is the previous holder (already in); the root's issuer is the authority.
    }
    holders = Object.freeze([...keys]);
    return holders;
  }
  return Object.freeze({
    holders(): readonly string[] {
      try {
        return chainKeys();
      } catch {
        return [];
      }
    },
    async check(call: { agent: string; tool: string; args: unknown }): Promise<CredentialVerdict> {
      const args = typeof call.args === 'object' && call.args !== null ? (call.args as Record<string, unknown>) : {};
      const result = await gate.check({
        agent: call.agent,
        tool: call.tool,
        args,
        required,
        ...(chain === undefined ? {} : { chain }),
      });
      if (!result.ok) return { ok: false, code: result.code, reason: result.reason };
      if (!result.presented) return { ok: true, agent: {}, keys: [] };
      const root = result.root;
      const depth = typeof chain === 'string' || chain === undefined ? 0 : chain.length - 1;
      return {
        ok: true,
        agent: {
          owner: root.owner,
          environment: root.environment,
          riskTier: root.riskTier,
          scopes: result.rights.scopes,
          credentialId: root.jti,
          delegationDepth: depth,
        },
        keys: chainKeys(),
      };
    },
  });
}
