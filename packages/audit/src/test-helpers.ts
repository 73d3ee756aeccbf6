import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { createIdentity, type AgentIdentity, type Signer } from '@agentguard/identity';
import { createAuditLog } from './log.js';
import type { AuditEvent } from './schema.js';
import { createMemorySink, type MemorySink } from './sink.js';

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
  const log = createAuditLog({ sink, clock: () => new Date(t++) });
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
    clock: () => new Date(t++),
    checkpoint: { signer: LOG_KEY, origin: 'example.com/audit', everyRecords: every, everyMs: 0 },
  });
  for (let i = 0; i < count; i++) await log.append(change?.(i) ?? event(i), AGENT);
  await log.close();
  return sink;
}
