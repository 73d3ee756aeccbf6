import { describe, expect, it } from 'vitest';
import { createAuditLog } from './log.js';
import { type AuditSink, createMemorySink } from './sink.js';
import { AGENT, event } from '../../test/helpers.js';
import { verifyLog } from '../verify/verify.js';

/** A pipelined sink whose writes settle when the test says, in any order; its text is what succeeded, in call order. */
function gatedSink(depth: number) {
  const pending: { lines: readonly string[]; ok?: boolean; settle: (error?: Error) => void }[] = [];
  let inFlight = 0;
  let most = 0;
  const sink: AuditSink = {
    pipelineDepth: depth,
    write: (lines) =>
      new Promise<void>((resolve, reject) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const entry: (typeof pending)[number] = {
          lines,
          settle: (error) => {
            inFlight--;
            entry.ok = error === undefined;
            if (error === undefined) resolve();
            else reject(error);
          },
        };
        pending.push(entry);
      }),
    close: async () => {},
  };
  const text = () => `${pending.flatMap((p) => (p.ok === true ? p.lines : [])).join('\n')}\n`;
  return { sink, text, pending, most: () => most };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('pipelined group commit', () => {
  it('keeps at most pipelineDepth batches in flight, and settles them in order whatever order they finish in', async () => {
    const { sink, text, pending, most } = gatedSink(3);
    const log = createAuditLog({ sink, maxBatch: 1 });
    const order: number[] = [];
    const appends = Array.from({ length: 5 }, (_, i) => log.append(event(i), AGENT).then((r) => order.push(r.seq)));
    await tick();
    expect(pending).toHaveLength(3);
    expect(most()).toBe(3);
    // The third batch finishes first: nothing is durable until the first is.
    pending[2]?.settle();
    await tick();
    expect(order).toEqual([]);
    expect(log.size).toBe(0);
    pending[0]?.settle();
    await tick();
    expect(order).toEqual([0]);
    pending[1]?.settle();
    await tick();
    expect(order).toEqual([0, 1, 2]);
    for (let i = 3; i < pending.length; i++) pending[i]?.settle();
    await Promise.all(appends);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most()).toBeLessThanOrEqual(3);
    await log.close();
    expect(verifyLog(text(), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 5 });
  });

  it('rejects the failed batch and every batch behind it, then continues a valid chain from the last durable record', async () => {
    const { sink, text, pending } = gatedSink(3);
    const log = createAuditLog({ sink, maxBatch: 1 });
    const results = Array.from({ length: 3 }, (_, i) => log.append(event(i), AGENT));
    const settled = Promise.allSettled(results);
    await tick();
    expect(pending).toHaveLength(3);
    // The sink's contract: a batch behind a failed one fails too.
    pending[0]?.settle();
    pending[2]?.settle(new Error('EIO: behind a failed batch'));
    pending[1]?.settle(new Error('EIO: sync failed'));
    const outcome = await settled;
    expect(outcome.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((outcome[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    expect(log.size).toBe(1);
    const next = log.append(event(3), AGENT);
    await tick();
    pending[3]?.settle();
    expect((await next).seq).toBe(1);
    await log.close();
    expect(verifyLog(text(), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 2 });
  });

  it('uses one batch at a time when any sink does not declare a pipeline', async () => {
    const { sink, pending } = gatedSink(3);
    const log = createAuditLog({ sink: [sink, createMemorySink()], maxBatch: 1 });
    const appends = Array.from({ length: 3 }, (_, i) => log.append(event(i), AGENT));
    await tick();
    expect(pending).toHaveLength(1);
    pending[0]?.settle();
    await tick();
    expect(pending).toHaveLength(2);
    pending[1]?.settle();
    await tick();
    pending[2]?.settle();
    await Promise.all(appends);
    await log.close();
  });

  it('refuses every later record when a batch in flight never answers (its effect is unknown)', async () => {
    const { sink, pending } = gatedSink(2);
    const log = createAuditLog({ sink, maxBatch: 1, writeTimeoutMs: 50 });
    const settled = Promise.allSettled([log.append(event(0), AGENT), log.append(event(1), AGENT)]);
    await tick();
    pending[1]?.settle();
    const outcome = await settled;
    expect(outcome.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(log.append(event(2), AGENT)).rejects.toMatchObject({
      code: 'ERR_AUDIT_SINK_FAILED',
      message: expect.stringContaining('refuses further records'),
    });
  });
});
