import { type AgentIdentity, createIdentity } from '@agentguard/identity';
import { canonicalBytes, fromHex, toBase64, utf8, pae } from '@agentguard/statement';
import {
  type DsseEnvelope,
  digestArgs,
  PAYLOAD_TYPE,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  type SignCallInput,
  signCall,
} from '../src/index.js';

/** A fixed instant, so tests never depend on the wall clock. */
export const NOW = new Date('2026-03-01T12:00:00.000Z');
/** {@link NOW} in epoch milliseconds, the clock shape of every option. */
export const NOW_MS = NOW.getTime();

// Deterministic keys (RFC 8032 §7.1 TEST 1 and TEST 2 seeds): reproducible signatures.
export const ALICE: AgentIdentity = createIdentity({
  name: 'alice',
  secretKey: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
});
export const MALLORY: AgentIdentity = createIdentity({
  name: 'mallory',
  secretKey: fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'),
});

export const ARGS = Object.freeze({ orderId: 'A-17', amount: 25, currency: 'EUR' });
export const POLICY_HASH = 'sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** A call signed by ALICE at NOW for ARGS, with overrides. */
export function signed(overrides: Partial<SignCallInput> = {}) {
  return signCall({
    signer: ALICE,
    callId: 'call-1',
    tool: 'refund',
    args: ARGS,
    policyHash: POLICY_HASH,
    nowMs: NOW_MS,
    nonce: 'AAECAwQFBgcICQoLDA0ODw',
    ...overrides,
  });
}

/** The claims `signed()` produces, for building statements by hand. */
export function baseClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    callId: 'call-1',
    agent: ALICE.id,
    tool: 'refund',
    argsDigest: digestArgs(ARGS),
    policyHash: POLICY_HASH,
    issuedAt: NOW.toISOString(),
    expiresAt: new Date(NOW.getTime() + 60_000).toISOString(),
    nonce: 'AAECAwQFBgcICQoLDA0ODw',
    ...overrides,
  };
  // An override of undefined removes the claim.
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return claims;
}

/** A statement around `claims`, with its subject consistent with them. */
export function statementOf(claims: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const digest = typeof claims.argsDigest === 'string' ? claims.argsDigest.slice('sha256:'.length) : '';
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: `tool-call:${String(claims.callId)}`, digest: { sha256: digest } }],
    predicateType: PREDICATE_TYPE,
    predicate: claims,
    ...overrides,
  };
}

/**
 * Signs arbitrary payload bytes (or JSON, canonicalised) as a DSSE envelope:
 * lets tests reach the checks that come after the signature.
 */
export async function signRaw(
  payload: Uint8Array | object | string,
  signer: AgentIdentity = ALICE,
  payloadType: string = PAYLOAD_TYPE,
): Promise<DsseEnvelope> {
  const bytes =
    payload instanceof Uint8Array ? payload : typeof payload === 'string' ? utf8(payload) : canonicalBytes(payload);
  const sig = await signer.sign(pae(payloadType, bytes));
  return { payloadType, payload: toBase64(bytes), signatures: [{ keyid: signer.keyId, sig: toBase64(sig) }] };
}
