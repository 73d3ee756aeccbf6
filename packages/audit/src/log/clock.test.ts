/**
 * One clock shape (docs/decisions/0008-options-vocabulary.md): `clock: () => number`, epoch ms, for the log's
 * timestamps and a rotating directory's file age; a clock that is not a function or answers something other
 * than a finite time is refused.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from './log.js';
import { createMemorySink } from './sink.js';
import { AGENT, event } from '../../test/helpers.js';
import { createRotatingSink } from '../file/dir.js';
import { openAuditDirectory } from '../file.js';

const T = Date.parse('2026-03-01T12:00:00.000Z');

describe('createAuditLog({ clock })', () => {
  it('stamps each record with the clock, as ISO-8601', async () => {
    const sink = createMemorySink();
    let t = T;
    const log = createAuditLog({ sink, clock: () => t++ });
    await log.append(event(0), AGENT);
    await log.append(event(1), AGENT);
    await log.close();
    const ts = sink.lines.map((l) => (JSON.parse(l) as { ts: string }).ts);
    expect(ts).toEqual(['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:00.001Z']);
  });

  it.each<[string, () => number]>([
    ['NaN', () => Number.NaN],
    ['Infinity', () => Number.POSITIVE_INFINITY],
    ['a Date', () => new Date(T) as unknown as number],
    ['a time past year 9999', () => Date.parse('9999-12-31T23:59:59.999Z') + 1],
  ])('refuses a record when the clock returns %s (ERR_AUDIT_EVENT_INVALID), writing nothing', async (_n, clock) => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink, clock });
    await expect(log.append(event(0), AGENT)).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
    await log.close();
    expect(sink.lines).toEqual([]);
  });

  it.each<unknown>([T, new Date(T), null])('refuses clock = %s at creation', (clock) => {
    expect(() => createAuditLog({ sink: createMemorySink(), clock: clock as () => number })).toThrow(
      /"clock" expected a function/,
    );
  });
});

describe('rotating directory clock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-audit-clock-'));

  it('ages files by the log clock: a new file once maxAgeMs has passed', async () => {
    let t = T;
    const path = join(dir, 'aged');
    const log = await openAuditDirectory(path, { rotate: { maxBytes: 0, maxAgeMs: 1000 }, clock: () => t });
    await log.append(event(0), AGENT);
    t = T + 999;
    await log.append(event(1), AGENT);
    t = T + 1000;
    await log.append(event(2), AGENT);
    await log.close();
    const second = await readFile(join(path, 'audit-000002.jsonl'), 'utf8');
    expect(second.trim().split('\n')).toHaveLength(1);
  });

  it('fails a write with ERR_AUDIT_SINK_FAILED when the clock breaks', async () => {
    let t = T;
    const sink = await createRotatingSink(join(dir, 'broken'), {
      rotate: { maxBytes: 0, maxAgeMs: 1000 },
      clock: () => t,
    });
    t = Number.NaN;
    await expect(sink.write(['{"a":1}'])).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    await sink.close();
    await expect(createRotatingSink(join(dir, 'x'), { clock: 'now' as unknown as () => number })).rejects.toThrow(
      /"clock" expected a function/,
    );
  });
});
