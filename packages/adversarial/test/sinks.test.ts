/**
 * Invariant: whatever an audit sink or signer does (throw, reject, never answer, answer late, return junk),
 * every append, checkpoint and close settles with its record or a typed AuditError, nothing becomes an
 * unhandled rejection, and once a failure leaves it unknown what a sink wrote, the log refuses every later
 * append, so what any sink holds is always a verifiable log (the chain never forks).
 */
import { type AuditSink, createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT, LOG } from './audit-forge.js';
import { fuzzParams } from './fuzz.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
/** Lets timers and late answers run, then checks none of them was an unhandled rejection. */
const settled = async (ms = 40) => {
  await new Promise((done) => setTimeout(done, ms));
  expect(unhandled).toEqual([]);
};

const trust = [AGENT.id, LOG.id];
const event = (i: number) => ({ type: 'call.completed' as const, callId: `c${i}`, agent: AGENT.id, tool: 'search' });
const never = () => new Promise<never>(() => {});
const sinkFailed = { name: 'AuditError', code: 'ERR_AUDIT_SINK_FAILED' };

describe('sink failures fail closed', () => {
  it('turns a sink that throws synchronously into a rejected append, then refuses further appends', async () => {
    const good = createMemorySink();
    const throwing: AuditSink = {
      write() {
        throw new Error('boom');
      },
      close: async () => {},
    };
    const log = createAuditLog({ sink: [good, throwing] });
    await expect(log.append(event(0), AGENT)).rejects.toMatchObject(sinkFailed);
    await expect(log.append(event(1), AGENT)).rejects.toMatchObject(sinkFailed);
    await log.close();
    await settled();
    expect(verifyLog(good.text())).toMatchObject({ ok: true });
  });

  it('times out a sink that never answers, rejects the append, and refuses further appends (no fork)', async () => {
    const log = createAuditLog({ sink: { write: never, close: async () => {} }, writeTimeoutMs: 20 });
    await expect(log.append(event(0), AGENT)).rejects.toMatchObject({
      ...sinkFailed,
      message: expect.stringContaining('20 ms'),
    });
    await expect(log.append(event(1), AGENT)).rejects.toMatchObject(sinkFailed);
    await log.close();
    await settled();
  });

  it('times out a sink whose close never answers', async () => {
    const log = createAuditLog({ sink: { write: async () => {}, close: never }, writeTimeoutMs: 20 });
    await log.append(event(0), AGENT);
    await expect(log.close()).rejects.toMatchObject(sinkFailed);
    await settled();
  });

  it('rejects a checkpoint whose sink fails, and survives a clock that breaks inside the checkpoint timer', async () => {
    let broken = false;
    const sink = createMemorySink();
    const log = createAuditLog({
      sink,
      clock: () => (broken ? Number.NaN : Date.now()),
      checkpoint: { signer: LOG, everyRecords: 1, everyMs: 5 },
    });
    await log.append(event(0), AGENT);
    broken = true;
    // No time, no record: the append is refused with a typed error, and the timer keeps failing quietly.
    await expect(log.append(event(1), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
    await new Promise((done) => setTimeout(done, 20));
    broken = false;
    await log.close();
    await settled();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true });

    const failing = createAuditLog({
      sink: { write: async () => Promise.reject(new Error('disk full')), close: async () => {} },
      checkpoint: { signer: LOG, everyRecords: 0, everyMs: 0 },
    });
    await expect(failing.checkpoint()).rejects.toMatchObject(sinkFailed);
    await failing.close();
    await settled();
  });

  it('places a record even when the checkpoint its count triggers cannot be timed', async () => {
    let calls = 0;
    const sink = createMemorySink();
    const log = createAuditLog({
      sink,
      // The second call of the clock (the checkpoint's) fails.
      clock: () => (++calls === 2 ? Number.NaN : Date.parse('2026-01-01T00:00:00.000Z')),
      checkpoint: { signer: LOG, everyRecords: 1, everyMs: 0 },
    });
    await expect(log.append(event(0), AGENT)).resolves.toMatchObject({ seq: 0 });
    await log.close();
    await settled();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, events: 1 });
  });

  it('times out a signer that never answers; the log stays usable', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink, writeTimeoutMs: 20 });
    const hung: Signer = { ...AGENT, id: AGENT.id, publicKey: AGENT.publicKey, keyId: AGENT.keyId, sign: never };
    await expect(log.append(event(0), hung)).rejects.toMatchObject(sinkFailed);
    await log.append(event(1), AGENT);
    await log.close();
    await settled();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, events: 1 });
  });

  it('hands every sink a frozen batch: one sink cannot change what the next one writes', async () => {
    const good = createMemorySink();
    const meddler: AuditSink = {
      write: async (lines) => {
        (lines as string[])[0] = '{}';
      },
      close: async () => {},
    };
    const log = createAuditLog({ sink: [meddler, good] });
    await expect(log.append(event(0), AGENT)).rejects.toMatchObject(sinkFailed);
    await log.close();
    expect(good.lines.every((l) => l !== '{}')).toBe(true);
    expect(verifyLog(good.text())).toMatchObject({ ok: true });
  });

  type Behaviour = 'ok' | 'reject' | 'throw' | 'hang' | 'late' | 'junk' | 'badThenable';
  const behaviour = fc.constantFrom<Behaviour>(
    'ok',
    'ok',
    'ok',
    'reject',
    'throw',
    'hang',
    'late',
    'junk',
    'badThenable',
  );

  /**
   * A sink that acts as told, call by call, and keeps what it may have written: lines of calls that
   * succeeded, and of calls whose effect is unknown (threw, hung, answered late), as a sink that did
   * write them before failing would. A rejection means nothing was written (the AuditSink contract).
   */
  function scripted(script: Behaviour[]) {
    const held: string[] = [];
    let call = 0;
    const sink: AuditSink = {
      write(lines) {
        const act = script[call++ % script.length] as Behaviour;
        if (act !== 'reject' && act !== 'badThenable') held.push(...lines);
        switch (act) {
          case 'ok':
            return Promise.resolve();
          case 'reject':
            return Promise.reject(new Error('refused'));
          case 'throw':
            throw new Error('threw');
          case 'hang':
            return never();
          case 'late':
            return new Promise((done) => setTimeout(done, 30));
          case 'junk':
            return 42 as never;
          case 'badThenable':
            return {
              // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of the test.
              get then() {
                throw new Error('hostile then');
              },
            } as never;
        }
      },
      close: async () => {},
    };
    return { sink, text: () => (held.length === 0 ? '' : `${held.join('\n')}\n`) };
  }

  it('settles every append with its record or a typed error, and every sink holds a verifiable log (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(behaviour, { minLength: 1, maxLength: 6 }),
        fc.array(behaviour, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (scriptA, scriptB, bursts, checkpoints) => {
          const a = scripted(scriptA);
          const b = scripted(scriptB);
          const log = createAuditLog({
            sink: [a.sink, b.sink],
            writeTimeoutMs: 10,
            ...(checkpoints ? { checkpoint: { signer: LOG, everyRecords: 3, everyMs: 0 } } : {}),
          });
          let i = 0;
          for (const burst of bursts) {
            const appends = Array.from({ length: burst }, () => log.append(event(i++), AGENT));
            for (const result of await Promise.allSettled(appends)) {
              if (result.status === 'rejected') {
                expect(result.reason).toMatchObject({ name: 'AuditError' });
                expect(['ERR_AUDIT_SINK_FAILED', 'ERR_AUDIT_CLOSED']).toContain(result.reason.code);
              }
            }
          }
          await log.close().catch((error: unknown) => expect(error).toMatchObject(sinkFailed));
          await new Promise((done) => setTimeout(done, 35));
          for (const held of [a.text(), b.text()]) expect(verifyLog(held, { trust })).toMatchObject({ ok: true });
        },
      ),
      fuzzParams(60),
    );
    await settled();
  }, 60_000);
});
