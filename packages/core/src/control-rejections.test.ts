import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import type { ControlRejection, GuardControl } from './control.js';
import { recordRejections } from './control-rejections.js';
import { createTextCleaner } from './text.js';

function setup() {
  let listener: ((r: ControlRejection) => void) | undefined;
  const source: GuardControl = {
    current: () => undefined,
    onRejected(l) {
      listener = l;
      return () => {
        listener = undefined;
      };
    },
  };
  const sink = createMemorySink();
  const audit = createAuditLog({ sink });
  let now = 0;
  const stop = recordRejections(source, {
    audit,
    identity: createIdentity(),
    text: createTextCleaner(undefined),
    clock: () => now,
  });
  const records = async () => {
    await new Promise((r) => setTimeout(r, 10));
    return sink.lines
      .map((l) => JSON.parse(l) as { type: string; data: { code: string; reason: string; suppressed: number } })
      .filter((r) => r.type === 'control.rejected');
  };
  return { emit: (r: unknown) => listener?.(r as ControlRejection), tick: (ms: number) => (now += ms), records, stop };
}

describe('recordRejections: the control channel refusals in the log, bounded', () => {
  it('writes a repeated refusal once a minute, counting the rest', async () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.emit({ code: 'ERR_INCIDENT_STATUS_FORGED', reason: 'bad signature' });
    expect(await t.records()).toHaveLength(1);
    t.tick(61_000);
    t.emit({ code: 'ERR_INCIDENT_STATUS_FORGED', reason: 'bad signature' });
    const written = await t.records();
    expect(written.map((r) => r.data.suppressed)).toEqual([0, 4]);
  });

  it('writes at most 10 records per 10 s; junk from the source is recorded as unknown, cleaned and bounded', async () => {
    const t = setup();
    for (let i = 0; i < 15; i++) t.emit({ code: `ERR_X_${i}`, reason: `r${i}` });
    expect(await t.records()).toHaveLength(10);
    t.tick(10_000);
    t.emit({ code: 42, reason: `\u001b[31m${'x'.repeat(5000)}` });
    const last = (await t.records()).at(-1);
    expect(last?.data).toMatchObject({ code: 'unknown', suppressed: 5 });
    expect(last?.data.reason.length).toBeLessThan(2200);
    t.stop();
    t.tick(100_000);
    t.emit({ code: 'ERR_AFTER', reason: 'stopped' });
    expect(await t.records()).toHaveLength(11);
  });

  it('a source without onRejected, or one that throws, records nothing and breaks nothing', () => {
    const audit = createAuditLog({ sink: createMemorySink() });
    const io = { audit, identity: createIdentity(), text: createTextCleaner(undefined), clock: Date.now };
    expect(() => recordRejections({ current: () => undefined }, io)()).not.toThrow();
    const hostile = {
      current: () => undefined,
      onRejected: () => {
        throw new Error('no');
      },
    } as GuardControl;
    expect(() => recordRejections(hostile, io)()).not.toThrow();
  });
});
