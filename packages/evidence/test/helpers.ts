import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { parsePolicy, policyHash } from '@agentguard/policy';
import { utf8 } from '@agentguard/statement';

/** Fixed keys, so failures reproduce. Test-only. */
export const ALICE = createIdentity({ secretKey: new Uint8Array(32).fill(7), name: 'alice' });
export const BOB = createIdentity({ secretKey: new Uint8Array(32).fill(9), name: 'bob' });
export const LOG_KEY = createIdentity({ secretKey: new Uint8Array(32).fill(11), name: 'log-key' });
export const EXPORTER = createIdentity({ secretKey: new Uint8Array(32).fill(13), name: 'exporter' });
export const STRANGER = createIdentity({ secretKey: new Uint8Array(32).fill(15), name: 'stranger' });

export const POLICY = { version: 1, id: 'p', rules: [{ id: 'r1', effect: 'allow', tools: ['search'] }] };
export const POLICY_HASH = policyHash(parsePolicy(POLICY));

/** Start of the test logs' clock: record i is at T0 + i ms. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/**
 * A log of `count` events, alternating between alice (even) and bob (odd), each naming POLICY_HASH, with a
 * checkpoint by LOG_KEY every `every` records and one at close.
 */
export async function writeLog(count: number, every = 10, options: { batched?: boolean } = {}): Promise<Uint8Array> {
  const sink = createMemorySink();
  let t = T0;
  const log = createAuditLog({
    sink,
    clock: () => t++,
    checkpoint: { signer: LOG_KEY, origin: 'example.com/audit', everyRecords: every, everyMs: 0 },
  });
  for (let i = 0; i < count; i++) {
    const agent = i % 2 === 0 ? ALICE : BOB;
    const event = {
      type: 'call.completed' as const,
      callId: `call-${i}`,
      agent: agent.id,
      tool: 'search',
      data: { policyHash: POLICY_HASH, secret: `${agent.name}-data-${i}`, resultDigest: `sha256:${'ab'.repeat(32)}` },
    };
    if (options.batched === true) await log.appendBatched(event);
    else await log.append(event, agent);
  }
  await log.close();
  return utf8(sink.text());
}
