import { parseJson } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quickRecord } from './check.js';
import { AuditRecordSchema } from './schema.js';
import { writeCheckpointedLog } from '../../test/helpers.js';

const sink = await writeCheckpointedLog(6, 3);
const records = sink.lines.map((line) => parseJson(line) as Record<string, unknown>);

// Values a field could hold in a tampered line: right-looking and wrong ones of every JSON type.
const value = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 53,
    1,
    '',
    'x',
    'a b',
    'call.completed',
    'checkpoint',
    'did:key:z6Mk',
    '0'.repeat(64),
    'A'.repeat(64),
    '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:00Z',
    `${'A'.repeat(85)}Q==`,
    `${'A'.repeat(85)}B==`,
    `${'A'.repeat(90)}E=`,
    'x'.repeat(257),
    'a\nb',
    [],
    {},
    [1],
  ),
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 1 }),
);
const field = fc.constantFrom(
  'v',
  'seq',
  'ts',
  'prev',
  'signer',
  'type',
  'callId',
  'agent',
  'tool',
  'data',
  'hash',
  'sig',
  'note',
  'noteSig',
  'extra',
);

describe('quickRecord', () => {
  it('accepts the records a log writes, events and checkpoints alike', () => {
    expect(records.some((r) => r.type === 'checkpoint')).toBe(true);
    for (const r of records) {
      const quick = quickRecord(r);
      const schema = AuditRecordSchema.parse(r);
      expect(quick).toEqual(schema);
      // The same member order and plain prototypes as a schema parse: readers print these objects.
      expect(JSON.stringify(quick)).toBe(JSON.stringify(schema));
      expect(Object.getPrototypeOf(quick)).toBe(Object.prototype);
    }
  });

  it('accepts nothing AuditRecordSchema refuses, and what it accepts the schema reads the same (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...records),
        fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 }),
        (record, changes) => {
          const changed: Record<string, unknown> = { ...record };
          for (const [key, v] of changes) {
            if (v === undefined) delete changed[key];
            else changed[key] = v;
          }
          const quick = quickRecord(changed);
          if (quick === undefined) return;
          const schema = AuditRecordSchema.safeParse(changed);
          expect(schema.success).toBe(true);
          expect(schema.data).toEqual(quick);
          expect(JSON.stringify(quick)).toBe(JSON.stringify(schema.data));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
