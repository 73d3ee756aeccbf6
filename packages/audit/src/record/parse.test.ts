import { describe, expect, it } from 'vitest';
import { writeLog } from '../../test/helpers.js';
import { parseAuditRecord } from './parse.js';

describe('parseAuditRecord', () => {
  it('gives back every record a log wrote', async () => {
    const sink = await writeLog(3);
    for (const line of sink.lines) {
      const r = parseAuditRecord(JSON.parse(line));
      expect(r).toEqual({ ok: true, record: JSON.parse(line) });
    }
  });

  it('names the first field that is wrong, and refuses unknown fields and non-records', async () => {
    const record = JSON.parse((await writeLog(1)).lines[0] as string) as Record<string, unknown>;
    expect(parseAuditRecord({ ...record, seq: -1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^seq: /),
    });
    expect(parseAuditRecord({ ...record, extra: 1 })).toMatchObject({ ok: false });
    expect(parseAuditRecord({ ...record, type: 'checkpoint' })).toMatchObject({ ok: false });
    for (const bad of [null, undefined, 1, 'x', [], {}]) {
      const r = parseAuditRecord(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});
