import { describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { createAuditLog } from './log.js';
import { type AuditSink, createMemorySink } from './sink.js';
import { AGENT, event, fastSigner } from '../../test/helpers.js';
import { LogChecker } from '../verify/checker.js';
import { verifyLog } from '../verify/verify.js';

describe('createAuditLog', () => {
  it('gives 10,000 concurrent appends a well-ordered chain that verifies', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const signer = fastSigner();
    const records = await Promise.all(Array.from({ length: 10_000 }, (_, i) => log.append(event(i), signer)));
    await log.close();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    // Call order is seq order: the i-th call got seq i.
    expect(records.every((r, i) => r.type !== 'checkpoint' && r.callId === `call-${i}`)).toBe(true);
    expect(sink.lines).toHaveLength(10_000);
    expect(log.size).toBe(10_000);
    // The chain, hashes and order of all 10,000 (signatures are checked on a sample: pure-JS
    // Ed25519 verification of all would take ~20 s; verify.test.ts checks them in full).
    const checker = new LogChecker({ signatures: false });
    for (const line of sink.lines) expect(checker.check(line).problem).toBeUndefined();
    expect(checker.records).toBe(10_000);
    const sample = sink.lines.slice(0, 50).join('\n');
    expect(verifyLog(`${sample}\n`, { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 50, anchored: true });
  }, 120_000);

  it('groups concurrent appends into few sink writes', async () => {
    const batches: number[] = [];
    const inner = createMemorySink();
    const sink: AuditSink = {
      write: async (lines) => {
        batches.push(lines.length);
        await inner.write(lines);
      },
      close: inner.close,
    };
    const log = createAuditLog({ sink });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(event(i), AGENT)));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
    expect(batches.length).toBeLessThan(200);
  });

  it('resolves only after the sink resolves', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sink: AuditSink = { write: () => gate, close: async () => {} };
    const log = createAuditLog({ sink });
    let done = false;
    const pending = log.append(event(0), AGENT).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    expect(log.size).toBe(0);
    release();
    await pending;
    expect(log.size).toBe(1);
  });

  it('rejects with ERR_AUDIT_SINK_FAILED, rolls back, and continues a valid chain when the sink recovers', async () => {
    const inner = createMemorySink();
    let failing = false;
    const sink: AuditSink = {
      write: async (lines) => {
        if (failing) throw new Error('ENOSPC: disk full');
        await inner.write(lines);
      },
      close: inner.close,
    };
    const log = createAuditLog({ sink });
    await log.append(event(0), AGENT);
    failing = true;
    const failed = await Promise.allSettled([log.append(event(1), AGENT), log.append(event(2), AGENT)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    expect(String((failed[0] as PromiseRejectedResult).reason.message)).toContain('disk full');
    failing = false;
    const next = await log.append(event(3), AGENT);
    expect(next.seq).toBe(1);
    await log.close();
    expect(verifyLog(inner.text(), { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 2 });
  });

  it('refuses further records when sinks disagree', async () => {
    const good = createMemorySink();
    const bad: AuditSink = { write: async () => Promise.reject(new Error('EACCES')), close: async () => {} };
    const log = createAuditLog({ sink: [good, bad] });
    await expect(log.append(event(0), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    await expect(log.append(event(1), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
  });

  it('writes every record to every sink', async () => {
    const a = createMemorySink();
    const b = createMemorySink();
    const log = createAuditLog({ sink: [a, b] });
    await Promise.all([0, 1, 2].map((i) => log.append(event(i), AGENT)));
    expect(a.lines).toEqual(b.lines);
    expect(a.lines).toHaveLength(3);
  });

  it('rejects a failing signer with ERR_AUDIT_SINK_FAILED and keeps the chain valid', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const broken = { ...AGENT, id: AGENT.id, sign: async () => Promise.reject(new Error('hsm offline')) };
    await log.append(event(0), AGENT);
    await expect(log.append(event(1), broken)).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    await log.append(event(2), AGENT);
    await log.close();
    expect(verifyLog(sink.text())).toMatchObject({ ok: true, records: 2, anchored: false });
  });

  it('rejects after close with ERR_AUDIT_CLOSED, and close waits for pending records', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const pending = log.append(event(0), AGENT);
    await log.close();
    await pending;
    expect(sink.lines).toHaveLength(1);
    await expect(log.append(event(1), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_CLOSED' });
    await log.close();
  });

  it.each([
    ['unknown type', { ...event(0), type: 'call.maybe' }],
    ['missing callId', { ...event(0), callId: undefined }],
    ['callId with spaces', { ...event(0), callId: 'a b' }],
    ['agent not a did', { ...event(0), agent: 'alice' }],
    ['tool with a newline', { ...event(0), tool: 'a\nb' }],
    ['unknown field', { ...event(0), extra: 1 }],
    ['data not an object', { ...event(0), data: [1] }],
    ['data with a function', { ...event(0), data: { f: () => 1 } }],
    ['data with NaN', { ...event(0), data: { n: Number.NaN } }],
    ['data with a BigInt', { ...event(0), data: { n: 1n } }],
    ['data with undefined', { ...event(0), data: { n: undefined } }],
    ['not an object', 'call.requested'],
    ['null', null],
  ])('rejects a bad event (%s) with ERR_AUDIT_EVENT_INVALID', async (_name, bad) => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    const error = await log.append(bad as never, AGENT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditError);
    expect(error).toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
    // The chain did not move: the next record is seq 0.
    expect((await log.append(event(0), AGENT)).seq).toBe(0);
  });

  it('rejects a missing signer with ERR_AUDIT_EVENT_INVALID', async () => {
    const log = createAuditLog({ sink: createMemorySink() });
    await expect(log.append(event(0), undefined as never)).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
  });

  it.each([
    ['no options', undefined],
    ['no sink', {}],
    ['empty sink array', { sink: [] }],
    ['sink without write', { sink: { close: async () => {} } }],
    ['bad maxBatch', { sink: createMemorySink(), maxBatch: 0 }],
    ['zero writeTimeoutMs', { sink: createMemorySink(), writeTimeoutMs: 0 }],
    ['fractional writeTimeoutMs', { sink: createMemorySink(), writeTimeoutMs: 1.5 }],
    ['writeTimeoutMs beyond setTimeout', { sink: createMemorySink(), writeTimeoutMs: 2 ** 31 }],
    [
      'a checkpoint signer whose id is no did:key',
      { sink: createMemorySink(), checkpoint: { signer: { ...AGENT, sign: AGENT.sign, id: 'log' } } },
    ],
    ['bad resume', { sink: createMemorySink(), resume: { size: -1, head: 'x' } }],
  ])('throws TypeError/RangeError on bad options (%s)', (_name, options) => {
    expect(() => createAuditLog(options as never)).toThrow(/expected/);
  });
});
