import {
  AttestationError,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_MAX_VALIDITY_MS,
  digestArgs,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_TYPE,
  type ParsedCallStatement,
  parseCallStatement,
} from '@agentguard/attestation';
import { pae, bytesEqual, fromUtf8, utf8 } from '@agentguard/statement';
import type { Decision, PolicyEngine } from '@agentguard/policy';

/** What the signer process is asked to sign, as `serveSigner` hands it to `authorize`. */
export interface SignRequestView {
  readonly message: Uint8Array;
  readonly context?: unknown;
}

/** The signer's answer: sign or not, and why not. */
export interface SignerVerdict {
  readonly allow: boolean;
  readonly reason?: string;
}

/** Options of {@link createSignerAuthorizer}. */
export interface SignerAuthorizerOptions {
  /** The armed engine of the signer's policy (checked with `signerPolicyProblems` first). */
  readonly engine: PolicyEngine;
  /**
   * The same policy without limits: decides, without touching any state, whether the call is
   * allowed at the other instants the envelope can be used. Needed only when a rule has a schedule.
   * @default none
   */
  readonly stateless?: PolicyEngine;
  /** The did:key the signer holds: the only agent it signs statements for. */
  readonly self: string;
  /** How far `issuedAt` may be from the signer's clock, ms. @default 30_000 */
  readonly clockSkewMs?: number;
  /** Longest validity (`expiresAt - issuedAt`) signed, ms. @default 300_000 */
  readonly maxValidityMs?: number;
  /** The signer's clock. @default () => Date.now() */
  readonly clock?: () => number;
}

const AUDIT_RECORD_PREFIX = utf8('agentguard-audit-record-v1\n');
const MINUTE = 60_000;

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * Splits DSSE's PAE ("DSSEv1" SP LEN(type) SP type SP LEN(body) SP body) back into type and body,
 * accepting only a message that is exactly the PAE of what it returns.
 */
function splitPae(message: Uint8Array): { type: string; body: Uint8Array } | undefined {
  const head = /^DSSEv1 (0|[1-9][0-9]{0,5}) /.exec(String.fromCharCode(...message.subarray(0, 16)));
  if (head === null) return undefined;
  const typeStart = head[0].length;
  const typeEnd = typeStart + Number(head[1]);
  const rest = String.fromCharCode(...message.subarray(typeEnd, typeEnd + 10));
  const n = /^ (0|[1-9][0-9]{0,6}) /.exec(rest);
  if (n === null) return undefined;
  const body = message.slice(typeEnd + n[0].length);
  let type: string;
  try {
    type = fromUtf8(message.slice(typeStart, typeEnd));
  } catch {
    return undefined;
  }
  return bytesEqual(pae(type, body), message) ? { type, body } : undefined;
}

const deny = (reason: string): SignerVerdict => ({ allow: false, reason });
const blocks = (d: Decision) => d.effect !== 'allow' || d.wouldDeny === true;

/**
 * The signer process's policy. It signs a call envelope only when its policy
 * allows that call, deciding on the signed statement itself: the statement must
 * name this signer's own key as the agent, be issued within the clock skew of the
 * signer's clock and valid for no longer than `maxValidityMs`; the arguments are
 * taken from the request only when their digest is the one signed. The call is
 * decided at the statement's own `issuedAt`, and, when the policy has schedules,
 * must also be allowed at every instant the envelope can be used (issuedAt - skew to expiresAt + skew). Monitored
 * denials count as denials (the signer always enforces), and concurrency slots are
 * given back as soon as the decision is made: the signer cannot see when a call
 * ends. Audit-record signatures (hashes of records) are signed so the agent's guard
 * can keep its log; anything else is refused.
 *
 * @param options - see {@link SignerAuthorizerOptions}.
 * @returns the `authorize` function for `serveSigner`/`listenSigner`.
 */
export function createSignerAuthorizer(
  options: SignerAuthorizerOptions,
): (request: SignRequestView) => Promise<SignerVerdict> {
  const { engine, stateless, self } = options;
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const maxValidity = options.maxValidityMs ?? DEFAULT_MAX_VALIDITY_MS;
  const clock = options.clock ?? (() => Date.now());
  return async ({ message, context }) => {
    if (startsWith(message, AUDIT_RECORD_PREFIX)) {
      const hex = message.subarray(AUDIT_RECORD_PREFIX.length);
      const ok = hex.length === 64 && /^[0-9a-f]{64}$/.test(String.fromCharCode(...hex));
      return ok ? { allow: true } : deny('not an audit record hash');
    }
    const split = splitPae(message);
    if (split === undefined || split.type !== PAYLOAD_TYPE) return deny('not a call envelope');
    if (split.body.length > MAX_PAYLOAD_BYTES) return deny('statement too large');
    // Read as every verifier reads a call statement (strict JSON, the schema, subject bound to the claims).
    let claims: ParsedCallStatement['claims'];
    try {
      ({ claims } = parseCallStatement(split.body));
    } catch (error) {
      return deny(error instanceof AttestationError ? error.message : 'not a valid call statement');
    }
    if (claims.agent !== self) return deny(`statement names agent ${claims.agent}; this signer signs only for ${self}`);
    const issued = Date.parse(claims.issuedAt);
    const expires = Date.parse(claims.expiresAt);
    const now = clock();
    if (Math.abs(issued - now) > skew)
      return deny(`issuedAt ${claims.issuedAt} is more than ${skew} ms from the signer's clock`);
    if (!(expires > issued) || expires - issued > maxValidity)
      return deny(`validity must be positive and at most ${maxValidity} ms`);
    const args = (context as { args?: unknown } | null | undefined)?.args;
    let digest: string | undefined;
    try {
      digest = args === undefined ? undefined : digestArgs(args);
    } catch {
      digest = undefined;
    }
    if (digest !== claims.argsDigest) return deny('the arguments sent do not match the signed digest');
    const request = {
      agent: { id: self, name: self },
      tool: { name: claims.tool },
      args,
      callId: claims.callId,
    };
    // A schedule can change while the envelope is usable, which for a verifier with the same skew is from
    // issuedAt - skew to expiresAt + skew: the call must be allowed at the start of that span and at every
    // minute boundary in it (schedules change only on whole minutes).
    if (stateless !== undefined) {
      const first = issued - skew;
      for (
        let t = first;
        t <= expires + skew;
        t = t === first ? (Math.floor(first / MINUTE) + 1) * MINUTE : t + MINUTE
      ) {
        const later = await stateless.decide({ ...request, nowMs: t });
        if (blocks(later))
          return deny(`denied at ${new Date(t).toISOString()}, while the envelope is usable: ${later.reason}`);
      }
    }
    // Limits count at the signer's own clock: the agent picks issuedAt anywhere within the skew, and deciding
    // at it would let one instant's statements fall into as many rate or budget windows as the skew spans.
    // Rules that depend on time (schedules) were checked above over the whole span the envelope is usable.
    const decision = await engine.decide({ ...request, nowMs: now });
    // The signer cannot see a call end: slots come back as soon as it has decided.
    await engine.release(decision).catch(() => undefined);
    return blocks(decision) ? deny(decision.reason) : { allow: true };
  };
}
