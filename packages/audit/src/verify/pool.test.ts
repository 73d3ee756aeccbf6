import { sign } from '@agentguard/identity';
import { utf8 } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import { AGENT } from '../../test/helpers.js';
import { BatchBuilder, verifyPacked } from './batch.js';
import { VerifyPool } from './pool.js';

const secret = new Uint8Array(32).fill(7);
const problem = { code: 'ERR_AUDIT_SIGNATURE_INVALID', reason: 'bad' } as const;

/** A batch of `count` signatures by AGENT, the ones at `bad` over other bytes. */
function batch(count: number, bad: readonly number[] = []) {
  const builder = new BatchBuilder();
  for (let i = 0; i < count; i++) {
    const message = utf8(`message ${i}`);
    const signature = sign(bad.includes(i) ? utf8('something else') : message, secret);
    builder.add(signature, message, AGENT.publicKey, i + 1, problem);
  }
  return builder.take();
}

describe('VerifyPool', () => {
  it('verifies batches on worker threads and finds the first bad signature of each', async () => {
    const pool = new VerifyPool(2);
    try {
      const results = await Promise.all([
        pool.submit(batch(5).batch),
        pool.submit(batch(5, [3, 4]).batch),
        pool.submit(batch(1, [0]).batch),
      ]);
      expect(results).toEqual([-1, 3, 0]);
      expect(pool.running).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('verifies on the calling thread, never skips, when a worker cannot start', async () => {
    const pool = new VerifyPool(1, { source: new URL('../no-such-worker.js', import.meta.url), options: {} });
    try {
      expect(await pool.submit(batch(4, [2]).batch)).toBe(2);
      expect(await pool.submit(batch(4).batch)).toBe(-1);
      expect(pool.running).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('stores a message shared by several signatures (one envelope) once', () => {
    const builder = new BatchBuilder();
    const message = utf8('one envelope, many signatures');
    const good = sign(message, secret);
    for (let i = 0; i < 3; i++) builder.add(i === 2 ? new Uint8Array(64) : good, message, AGENT.publicKey, 1, problem);
    expect(builder.bytes).toBe(message.length);
    const { batch: packed } = builder.take();
    expect(packed.messages.length).toBe(message.length);
    expect(verifyPacked(packed)).toBe(2);
  });

  it('packs checks so that each keeps its line and problem', () => {
    const { batch: packed, where } = batch(3, [1]);
    expect(packed.count).toBe(3);
    expect(verifyPacked(packed)).toBe(1);
    expect(where(1)).toEqual({ line: 2, order: 1, problem });
  });
});
