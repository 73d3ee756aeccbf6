/**
 * Invariant: the audit writer and every reader share one bound. Any record the writer accepts (size up to
 * RECORD_MAX_BYTES, depth up to RECORD_MAX_DEPTH, in every mode) verifies and reopens; any record it refuses
 * is refused with a typed AuditError before anything is written, and the log stays usable and verifiable.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditEvent,
  createAuditLog,
  createMemorySink,
  RECORD_MAX_BYTES,
  RECORD_MAX_DEPTH,
  verifyLog,
} from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT, LOG } from './audit-forge.js';
import { fuzzParams } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-log-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const trust = [AGENT.id, LOG.id];
const event = (data: Record<string, unknown>, i = 0): AuditEvent => ({
  type: 'call.requested',
  callId: `call-${i}`,
  agent: AGENT.id,
  tool: 'search',
  data,
});

/** A log with a checkpoint key; `append` in the given mode. */
function newLog() {
  const sink = createMemorySink();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  const log = createAuditLog({
    sink,
    clock: () => t++,
    checkpoint: { signer: LOG, origin: 'example.com/audit', everyRecords: 0, everyMs: 0 },
  });
  const append = (e: AuditEvent, batched: boolean) => (batched ? log.appendBatched(e) : log.append(e, AGENT));
  return { sink, log, append };
}

/** Bytes of the line a record with `data` gets, measured on a throwaway log. */
async function lineSize(data: Record<string, unknown>, batched: boolean): Promise<number> {
  const { sink, append } = newLog();
  await append(event(data), batched);
  return utf8(sink.lines[0] as string).length;
}

/** Data whose record line is exactly `target` bytes (padding with `unit`, of 1 to 4 UTF-8 bytes). */
async function dataOfSize(target: number, batched: boolean, unit = 'x'): Promise<Record<string, unknown>> {
  const base = await lineSize({ pad: '' }, batched);
  const width = utf8(unit).length;
  const units = Math.floor((target - base) / width);
  const rest = target - base - units * width;
  return { pad: unit.repeat(units) + 'x'.repeat(rest) };
}

describe('one record size bound, enforced at write', () => {
  it('refuses the 4.8 MB record of 80 strings of 60,000 characters, writes nothing and stays usable', async () => {
    const path = join(dir, `log-${files++}.jsonl`);
    const log = await openFileAuditLog(path, { checkpoint: { signer: LOG, everyRecords: 0, everyMs: 0 } });
    await log.append(event({ n: 1 }, 0), AGENT);
    const before = readFileSync(path);
    const args = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`a${i}`, 'x'.repeat(60_000)]));
    await expect(log.append(event({ args }, 1), AGENT)).rejects.toMatchObject({
      name: 'AuditError',
      code: 'ERR_AUDIT_RECORD_TOO_LARGE',
    });
    expect(readFileSync(path)).toEqual(before);
    expect(log.size).toBe(1);
    await log.append(event({ n: 2 }, 2), AGENT);
    await log.close();
    expect(verifyLog(new Uint8Array(readFileSync(path)), { trust })).toMatchObject({ ok: true, events: 2 });
    const reopened = await openFileAuditLog(path);
    expect(reopened.size).toBe(3); // two events and the checkpoint close() wrote
    await reopened.close();
  });

  it.each([
    ['signed', false, 'x'],
    ['batched, two-byte characters', true, '\u00e9'],
    ['signed, four-byte characters', false, '\u{1F600}'],
  ])('accepts a %s record of exactly RECORD_MAX_BYTES and refuses one byte more', async (_label, batched, unit) => {
    const { sink, log, append } = newLog();
    const fits = await dataOfSize(RECORD_MAX_BYTES, batched, unit);
    await append(event(fits, 0), batched);
    expect(utf8(sink.lines[0] as string).length).toBe(RECORD_MAX_BYTES);
    const over = await dataOfSize(RECORD_MAX_BYTES + 1, batched, unit);
    await expect(append(event(over, 1), batched)).rejects.toMatchObject({ code: 'ERR_AUDIT_RECORD_TOO_LARGE' });
    await append(event({ after: true }, 2), batched);
    await log.close();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, records: 3, events: 2 });
    const path = join(dir, `log-${files++}.jsonl`);
    writeFileSync(path, sink.text());
    const reopened = await openFileAuditLog(path);
    expect(reopened.size).toBe(3);
    await reopened.close();
  });

  it('accepts the deepest record the readers take and refuses one level deeper, leaving the log usable', async () => {
    const { sink, log, append } = newLog();
    const nest = (depth: number) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    // The record is depth 1 and data depth 2: data.deep may nest RECORD_MAX_DEPTH - 2 more levels.
    await append(event({ deep: nest(RECORD_MAX_DEPTH - 2) }, 0), false);
    await expect(append(event({ deep: nest(RECORD_MAX_DEPTH - 1) }, 1), false)).rejects.toMatchObject({
      code: 'ERR_AUDIT_EVENT_INVALID',
    });
    await append(event({ after: true }, 2), false);
    await log.close();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, events: 2 });
  });

  it.each([
    [
      'a nested member named __proto__',
      () => event(JSON.parse('{"x":[{"__proto__":{"a":1}}]}') as Record<string, unknown>),
    ],
    ['a lone surrogate', () => event({ s: '\uD800' })],
    ['a non-JSON value', () => event({ d: new Date(0) })],
  ])('refuses %s (which readers refuse) before writing', async (_label, make) => {
    const { sink, log, append } = newLog();
    await expect(append(make(), false)).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
    await append(event({ ok: true }), false);
    await log.close();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, events: 1 });
  });

  it('refuses a clock past year 9999 and a signer whose id is not its did:key, before writing', async () => {
    const sink = createMemorySink();
    let year10000 = true;
    const log = createAuditLog({ sink, clock: () => (year10000 ? 8.64e15 : 0) });
    await expect(log.append(event({}), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
    await expect(
      log.append(event({}), { ...AGENT, sign: AGENT.sign, id: 'did:web:example.com' } as never),
    ).rejects.toMatchObject({
      code: 'ERR_AUDIT_EVENT_INVALID',
    });
    await expect(log.append(event({}), { ...AGENT, sign: AGENT.sign, id: LOG.id } as never)).rejects.toMatchObject({
      code: 'ERR_AUDIT_EVENT_INVALID',
    });
    year10000 = false;
    await log.append(event({}), AGENT);
    await log.close();
    expect(sink.lines).toHaveLength(1);
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true });
  });

  it('every record the writer accepts verifies and reopens; every one it refuses leaves the log intact (property)', async () => {
    const text = fc.string({
      unit: fc.constantFrom('x', '\u00e9', '\u4E2D', '\u{1F600}', '"', '\\', '\n'),
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            batched: fc.boolean(),
            // Near the bound: the line is aimed at RECORD_MAX_BYTES + delta, padding in random units.
            delta: fc.integer({ min: -8, max: 8 }),
            unit: fc.constantFrom('x', '\u00e9', '\u4E2D', '\u{1F600}'),
            extra: fc.dictionary(fc.string({ maxLength: 4 }), text, { maxKeys: 3 }),
            big: fc.boolean(),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        async (specs) => {
          const { sink, log, append } = newLog();
          let accepted = 0;
          for (const [i, spec] of specs.entries()) {
            const data = spec.big
              ? {
                  ...(await dataOfSize(RECORD_MAX_BYTES + spec.delta - 200, spec.batched, spec.unit)),
                  extra: spec.extra,
                }
              : { extra: spec.extra };
            const before = sink.lines.length;
            try {
              await append(event(data, i), spec.batched);
              accepted += 1;
              expect(utf8(sink.lines.at(-1) as string).length).toBeLessThanOrEqual(RECORD_MAX_BYTES);
            } catch (error) {
              expect(error).toMatchObject({ name: 'AuditError', code: 'ERR_AUDIT_RECORD_TOO_LARGE' });
              expect(sink.lines).toHaveLength(before);
            }
          }
          await log.close();
          expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, events: accepted });
        },
      ),
      fuzzParams(8),
    );
  }, 120_000);
});
