import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { type AgentIdentity, createIdentity, type Signer, sign } from '@agentguard/identity';
import { canonicalize, concatBytes, toBase64, utf8 } from '@agentguard/statement';
import { createAuditLog } from '../src/log/log.js';
import type { AuditEvent } from '../src/record/schema.js';
import { createMemorySink, type MemorySink } from '../src/log/sink.js';

/** A fixed secret key, so failures reproduce. Test-only. */
export const AGENT = createIdentity({ secretKey: new Uint8Array(32).fill(7), name: 'test-agent' });
export const OTHER = createIdentity({ secretKey: new Uint8Array(32).fill(9), name: 'other-agent' });

export function event(
  i: number,
  agent: AgentIdentity = AGENT,
  type: AuditEvent['type'] = 'call.completed',
): AuditEvent {
  return {
    type,
    callId: `call-${i}`,
    agent: agent.id,
    tool: 'search',
    data: { i, resultDigest: `sha256:${'ab'.repeat(32)}` },
  };
}

/** Writes `count` records to a memory log and returns the sink. */
export async function writeLog(count: number, agent: AgentIdentity = AGENT): Promise<MemorySink> {
  const sink = createMemorySink();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  const log = createAuditLog({ sink, clock: () => t++ });
  await Promise.all(Array.from({ length: count }, (_, i) => log.append(event(i, agent), agent)));
  await log.close();
  return sink;
}

/**
 * The same key as {@link AGENT}, signing through node:crypto (about 10x faster
 * than the pure-JS library), for tests that sign thousands of records. Its
 * signatures are byte-identical (Ed25519 is deterministic).
 */
export function fastSigner(identity: AgentIdentity = AGENT, seed = new Uint8Array(32).fill(7)): Signer {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return {
    id: identity.id,
    publicKey: identity.publicKey,
    keyId: identity.keyId,
    sign: async (message) => new Uint8Array(nodeSign(null, message, key)),
  };
}

/** The log's own key in tests. */
export const LOG_KEY = createIdentity({ secretKey: new Uint8Array(32).fill(11), name: 'log-key' });

/** Writes `count` events to a memory log with checkpoints every `every` records and at close. */
export async function writeCheckpointedLog(
  count: number,
  every: number,
  change?: (i: number) => AuditEvent,
): Promise<MemorySink> {
  const sink = createMemorySink();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  const log = createAuditLog({
    sink,
    clock: () => t++,
    checkpoint: { signer: LOG_KEY, origin: 'example.com/audit', everyRecords: every, everyMs: 0 },
  });
  for (let i = 0; i < count; i++) await log.append(change?.(i) ?? event(i), AGENT);
  await log.close();
  return sink;
}

/** The secret seeds of the test identities, to sign envelopes synchronously. */
const SEEDS = new Map<string, number>();

/** The fields of a call a test envelope states; defaults match `event(i)` records of `call.requested`. */
export interface EnvelopeClaims {
  readonly callId: string;
  readonly tool?: string;
  readonly argsDigest?: string;
  readonly policyHash?: string;
}

/** The args digest and policy hash test envelopes and records use by default. */
export const ARGS_DIGEST = `sha256:${'cd'.repeat(32)}`;
export const POLICY_HASH = `sha256:${'ef'.repeat(32)}`;

/**
 * A DSSE call envelope as `@agentguard/attestation`'s `signCall` makes one (in-toto Statement v1,
 * signed over PAE by `signer`), built here because the audit package does not depend on attestation.
 */
export function callEnvelope(signer: AgentIdentity, claims: EnvelopeClaims) {
  const seed = SEEDS.get(signer.id);
  if (seed === undefined) throw new Error('callEnvelope signs for AGENT, OTHER or LOG_KEY only');
  const argsDigest = claims.argsDigest ?? ARGS_DIGEST;
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `tool-call:${claims.callId}`, digest: { sha256: argsDigest.slice('sha256:'.length) } }],
    predicateType: 'https://agentguard.dev/attestation/tool-call/v1',
    predicate: {
      callId: claims.callId,
      agent: signer.id,
      tool: claims.tool ?? 'search',
      argsDigest,
      policyHash: claims.policyHash ?? POLICY_HASH,
      issuedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:01:00.000Z',
      nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
    },
  };
  const type = 'application/vnd.in-toto+json';
  const body = utf8(canonicalize(statement));
  const pae = concatBytes(utf8(`DSSEv1 ${utf8(type).length} ${type} ${body.length} `), body);
  return {
    payloadType: type,
    payload: toBase64(body),
    signatures: [{ keyid: signer.keyId, sig: toBase64(sign(pae, new Uint8Array(32).fill(seed))) }],
  };
}

/** A `call.requested` event of call `call-<i>` by `agent`, carrying its envelope signed by `by`. */
export function requestedEvent(i: number, agent: AgentIdentity = AGENT, by: AgentIdentity = agent): AuditEvent {
  return {
    ...event(i, agent, 'call.requested'),
    data: { argsDigest: ARGS_DIGEST, policyHash: POLICY_HASH, envelope: callEnvelope(by, { callId: `call-${i}` }) },
  };
}

SEEDS.set(AGENT.id, 7);
SEEDS.set(OTHER.id, 9);
SEEDS.set(LOG_KEY.id, 11);
