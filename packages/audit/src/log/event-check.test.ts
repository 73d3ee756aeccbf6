import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvent } from './event-check.js';
import { AUDIT_EVENT_TYPES, AuditEventSchema } from '../record/schema.js';
import { AGENT } from '../../test/helpers.js';

/** checkEvent's answer: the event it returns, or the code it throws. */
function outcome(event: unknown): { ok: true; value: unknown } | { ok: false; code: unknown } {
  try {
    return { ok: true, value: checkEvent(event) };
  } catch (error) {
    return { ok: false, code: (error as { code?: unknown }).code };
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: 250, maxLength: 260 }),
  fc.constantFrom(
    '',
    'a b',
    'a\nb',
    'x\u0085y',
    'ok-id',
    'tool.name',
    '\u00e9t\u00e9',
    'd\uD800',
    'did:key:z6Mk',
    `${AGENT.id}x`,
  ),
);
// Mostly good values, so that most events are valid or wrong in one field only.
const field = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: good, weight: 12 }, text, fc.integer(), fc.constant(undefined), fc.constant(null));
const data = fc.oneof(
  { arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })), weight: 10 },
  { arbitrary: fc.constant(undefined), weight: 4 },
  fc.constant([1]),
  fc.constant(null),
  fc.constant('data'),
  fc.constant(Object.create(null) as object),
  fc.constant(new Map()),
);
const event = fc.record(
  {
    type: field(fc.constantFrom(...AUDIT_EVENT_TYPES, 'checkpoint')),
    callId: field(fc.stringMatching(/^[\x21-\x7E]{1,12}$/)),
    agent: field(fc.constant(AGENT.id)),
    tool: field(fc.string({ minLength: 1, maxLength: 12 })),
    data,
    extra: fc.integer(),
  },
  { requiredKeys: ['type', 'callId', 'agent', 'tool'] },
);

describe('checkEvent', () => {
  it('accepts exactly what AuditEventSchema accepts, and returns the same event (property)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(event, (e) => {
        const mine = outcome(e);
        const schema = AuditEventSchema.safeParse(e);
        expect(mine.ok).toBe(schema.success);
        if (mine.ok && schema.success) {
          accepted++;
          const { data: d, ...rest } = schema.data;
          expect(mine.value).toEqual(d === undefined ? rest : { ...rest, data: d });
        } else if (!mine.ok) {
          expect(mine.code).toBe('ERR_AUDIT_EVENT_INVALID');
        }
      }),
      { numRuns: 3000 },
    );
    // Both sides were exercised: many events valid, many not.
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(2700);
  });

  it('reads each field once, into a copy the caller cannot change afterwards', () => {
    let reads = 0;
    const data = { n: 1 };
    const e = {
      type: 'call.completed',
      callId: 'c1',
      agent: AGENT.id,
      get tool() {
        reads++;
        return reads === 1 ? 'search' : 'delete';
      },
      data,
    };
    const checked = checkEvent(e);
    data.n = 2;
    expect(checked).toEqual({ type: 'call.completed', callId: 'c1', agent: AGENT.id, tool: 'search', data: { n: 1 } });
    expect(reads).toBe(1);
  });
});
