import { describe, expect, it } from 'vitest';
import type { Signer } from '@agentguard/identity';
import { createAuditLog } from './log.js';
import { type AuditSink, createMemorySink } from './sink.js';
import { PIPELINED_BATCH } from './writer.js';
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

/** Settles every write in flight, and every write they let the log send, until none is left. */
async function settleAll(pending: { ok?: boolean; settle: () => void }[]) {
  for (let open = pending.filter((p) => p.ok === undefined); open.length > 0; ) {
    for (const p of open) p.settle();
    await tick();
    open = pending.filter((p) => p.ok === undefined);
  }
}

/** AGENT's key, signing only when the test releases signatures, in the order they were asked for. */
function gatedSigner() {
  const asked: (() => void)[] = [];
  const signer: Signer = {
    id: AGENT.id,
    keyId: AGENT.keyId,
    publicKey: AGENT.publicKey,
    sign: (message) => new Promise<Uint8Array>((resolve) => asked.push(() => resolve(AGENT.sign(message)))),
  };
  return Object.assign(signer, {
    /** Releases the next `n` signatures asked for, then lets the log place them. */
    async release(n: number) {
      await tick();
      for (const answer of asked.splice(0, n)) answer();
      await tick();
    },
  });
}

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

  it('sends a further batch while one is in flight once it holds half of the records not yet sent, at most PIPELINED_BATCH', async () => {
    // Many callers: 40 records behind a batch in flight. 3 signed is not worth a sync; 20 (half of 40) is.
    const many = gatedSink(3);
    const signer = gatedSigner();
    const log = createAuditLog({ sink: many.sink });
    const first = log.append(event(0), signer);
    await signer.release(1);
    expect(many.pending.map((p) => p.lines.length)).toEqual([1]);
    const rest = Array.from({ length: 40 }, (_, i) => log.append(event(i + 1), signer));
    await signer.release(3);
    expect(many.pending.map((p) => p.lines.length)).toEqual([1]);
    await signer.release(16);
    expect(many.pending.map((p) => p.lines.length)).toEqual([1]);
    await signer.release(1);
    expect(many.pending.map((p) => p.lines.length)).toEqual([1, 20]);
    // Once nothing is in flight, what is signed goes at once, however few.
    await signer.release(2);
    many.pending[0]?.settle();
    many.pending[1]?.settle();
    await tick();
    expect(many.pending.map((p) => p.lines.length)).toEqual([1, 20, 2]);
    await signer.release(18);
    await settleAll(many.pending);
    await Promise.all([first, ...rest]);
    await log.close();
    expect(verifyLog(many.text(), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 41 });

    // 60 behind: half would be 30, but a batch waits for at most PIPELINED_BATCH; and never for more than maxBatch.
    for (const maxBatch of [undefined, 4]) {
      const capped = gatedSink(3);
      const cappedSigner = gatedSigner();
      const cappedLog = createAuditLog({ sink: capped.sink, ...(maxBatch === undefined ? {} : { maxBatch }) });
      const all = [cappedLog.append(event(0), cappedSigner)];
      await cappedSigner.release(1);
      for (let i = 1; i <= 60; i++) all.push(cappedLog.append(event(i), cappedSigner));
      const want = Math.min(PIPELINED_BATCH, maxBatch ?? PIPELINED_BATCH);
      await cappedSigner.release(want - 1);
      expect(capped.pending.map((p) => p.lines.length)).toEqual([1]);
      await cappedSigner.release(1);
      expect(capped.pending.map((p) => p.lines.length)).toEqual([1, want]);
      await cappedSigner.release(60);
      await settleAll(capped.pending);
      await Promise.all(all);
      await cappedLog.close();
    }

    // Few callers: 4 records behind a batch in flight. 2 signed (half of 4) go at once, without waiting for the rest.
    const few = gatedSink(3);
    const fewSigner = gatedSigner();
    const small = createAuditLog({ sink: few.sink });
    const appends = Array.from({ length: 5 }, (_, i) => small.append(event(i), fewSigner));
    await fewSigner.release(1);
    await fewSigner.release(1);
    expect(few.pending.map((p) => p.lines.length)).toEqual([1]);
    await fewSigner.release(1);
    expect(few.pending.map((p) => p.lines.length)).toEqual([1, 2]);
    // The last two: each is half or more of what is not yet sent, so it goes as soon as it is signed (depth 3 allows one).
    await fewSigner.release(2);
    expect(few.pending.map((p) => p.lines.length)).toEqual([1, 2, 1]);
    await settleAll(few.pending);
    await Promise.all(appends);
    await small.close();
    expect(verifyLog(few.text(), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 5 });
  });

  it('sends nothing after a batch it knows has failed, so no record chained from it reaches the sink', async () => {
    const { sink, text, pending } = gatedSink(3);
    const log = createAuditLog({ sink, maxBatch: 1 });
    const early = Promise.allSettled([log.append(event(0), AGENT), log.append(event(1), AGENT)]);
    await tick();
    expect(pending).toHaveLength(2);
    // The second batch fails while the first is still syncing: a record asked for now would chain from it.
    pending[1]?.settle(new Error('EIO'));
    const third = Promise.allSettled([log.append(event(2), AGENT)]);
    await tick();
    expect(pending).toHaveLength(2);
    pending[0]?.settle();
    const outcome = [...(await early), ...(await third)];
    expect(outcome.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((outcome[0] as PromiseFulfilledResult<{ seq: number }>).value.seq).toBe(0);
    expect((outcome[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    // The chain goes on from the last durable record.
    const next = log.append(event(3), AGENT);
    await tick();
    pending[2]?.settle();
    await expect(next).resolves.toMatchObject({ seq: 1 });
    await log.close();
    expect(verifyLog(text(), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 2 });
  });

  it('refuses further records when a sink keeps a batch sent after one that failed, and writes nothing after it', async () => {
    for (const when of ['before the rollback', 'after the rollback'] as const) {
      // This sink does not chain its batches: it keeps the third though the second failed (a broken sink).
      const { sink, pending } = gatedSink(3);
      const log = createAuditLog({ sink, maxBatch: 1 });
      const appends = Promise.allSettled(Array.from({ length: 3 }, (_, i) => log.append(event(i), AGENT)));
      await tick();
      expect(pending).toHaveLength(3);
      pending[1]?.settle(new Error('EIO'));
      if (when === 'before the rollback') pending[2]?.settle();
      pending[0]?.settle();
      await tick();
      const later = Promise.allSettled([log.append(event(3), AGENT)]);
      await tick();
      // Nothing is sent while the third batch is unanswered, nor after it turned out kept.
      expect(pending).toHaveLength(3);
      if (when === 'after the rollback') pending[2]?.settle();
      const outcome = [...(await appends), ...(await later)];
      expect(outcome.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
      await expect(log.append(event(4), AGENT)).rejects.toThrow(/kept records written after a batch that failed/);
      expect(pending).toHaveLength(3);
    }
  });

  it('goes on once a batch sent after a failed one has failed too', async () => {
    const { sink, text, pending } = gatedSink(3);
    const log = createAuditLog({ sink, maxBatch: 1 });
    const appends = Promise.allSettled(Array.from({ length: 3 }, (_, i) => log.append(event(i), AGENT)));
    await tick();
    pending[1]?.settle(new Error('EIO'));
    pending[0]?.settle();
    await tick();
    const later = Promise.allSettled([log.append(event(3), AGENT)]);
    await tick();
    expect(pending).toHaveLength(3);
    pending[2]?.settle(new Error('an earlier batch failed'));
    await tick();
    expect(pending).toHaveLength(4);
    pending[3]?.settle();
    const outcome = [...(await appends), ...(await later)];
    expect(outcome.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
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
