import { APPROVAL_ERROR_CODES, ATTESTATION_ERROR_CODES } from '@agentguard/attestation';
import { IDENTITY_ERROR_CODES } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { checkEvent } from '../log/event-check.js';
import { createAuditLog } from '../log/log.js';
import { checkRecordData, parseRecordData, readRecordFields } from './data-check.js';
import { APPROVAL_RECORD_CODES, CREDENTIAL_RECORD_CODES, ENVELOPE_RECORD_CODES } from './data.js';
import { AUDIT_EVENT_TYPES, AuditEventSchema } from './schema.js';
import { createMemorySink } from '../log/sink.js';
import { AGENT, event } from '../../test/helpers.js';

const decision = { effect: 'allow', ruleId: 'r1', reason: 'ok', matched: ['r1'], mode: 'enforce' };

describe('the record-data contract', () => {
  it.each([
    ['call.requested', { argsDigest: `sha256:${'0'.repeat(64)}`, args: { a: 1 }, tags: ['read'], signing: 'batched' }],
    ['call.denied', { code: 'ERR_GUARD_POLICY_DENIED', reason: 'no', decision: { ...decision, effect: 'deny' } }],
    ['call.invalid', { argsDigest: `sha256:${'0'.repeat(64)}`, issues: [{ path: 'a', message: 'bad' }] }],
    ['call.completed', { decision, resultDigest: null, durationMs: 1.5 }],
    [
      'call.denied',
      {
        code: 'ERR_GUARD_ISOLATION_REQUIRED',
        decision: { ...decision, isolation: { actual: 'process', required: 'bwrap', met: false } },
      },
    ],
    ['call.failed', { decision, error: { code: 'ERR_GUARD_TOOL_FAILED', message: 'x' }, durationMs: 2 }],
    ['approval.granted', { approver: 'did:key:z6Mk', decision }],
    [
      'approval.refused',
      { approvalCode: 'ERR_ATTESTATION_APPROVAL_REJECTED', code: 'ERR_GUARD_APPROVAL_REFUSED', reason: 'no' },
    ],
    ['monitor.alert', { score: 3, flagged: true, alerts: [{ feature: 'f', expected: 'e', seen: 's' }] }],
    ['monitor.alert', { status: 'failed', reason: 'timeout' }],
    [
      'egress.refused',
      { egress: { kind: 'connect', host: 'x', port: 443, reason: 'denied', bytesIn: 0, bytesOut: 0 } },
    ],
    [
      'egress.allowed',
      { egress: { kind: 'https', host: 'x', port: 443, address: '192.0.2.1', bytesIn: 4, bytesOut: 5 } },
    ],
    ['mode.changed', { from: { hash: 'a', mode: 'enforce' }, to: { hash: 'b', mode: 'monitor' } }],
    ['gap', { missed: 3, since: 't0', until: 't1', lastError: 'disk full' }],
    ['log.recovered', { torn: { line: 4, bytes: 10, sha256: 'ab', savedTo: 'x.torn' } }],
    ['attestation', { anything: [1, 2] }],
    [
      'attestation',
      {
        tools: { send: 'sha256:ab' },
        policyHash: 'sha256:cd',
        pinnedPolicy: null,
        onChange: 'deny',
        changes: [{ feature: 'attest.tool', subject: 'send', expected: 'absent', seen: 'sha256:ab' }],
      },
    ],
    ['call.completed', { i: 7, note: 'fields the contract does not name are allowed' }],
  ] as const)('accepts %s data of the right types', (type, data) => {
    expect(checkRecordData(type, data)).toBeUndefined();
    expect(parseRecordData(type, data)).toEqual({ ok: true, data });
  });

  it.each([
    ['call.requested', { tags: 'read' }, 'tags: expected an array of strings'],
    ['call.requested', { signing: 'per-call' }, "signing: expected one of 'batched'"],
    [
      'call.denied',
      { decision: { effect: 'maybe' } },
      "decision.effect: expected one of 'allow', 'deny', 'require_approval'",
    ],
    ['call.invalid', { issues: [{ path: 1 }] }, 'issues[0].path: expected a string'],
    [
      'call.completed',
      { decision: { isolation: { actual: 'docker' } } },
      "decision.isolation.actual: expected one of 'none', 'process', 'bwrap'",
    ],
    ['call.failed', { decision: { isolation: { met: 'no' } } }, 'decision.isolation.met: expected a boolean'],
    ['call.completed', { resultDigest: 5 }, 'resultDigest: expected sha256:<64 hex>'],
    ['call.completed', { resultDigest: 'sha256:…' }, 'resultDigest: expected sha256:<64 hex>'],
    ['call.requested', { argsDigest: 'sha256:ABC' }, 'argsDigest: expected sha256:<64 hex>'],
    ['call.failed', { error: 'boom' }, 'error: expected an object'],
    ['monitor.alert', { score: Number.POSITIVE_INFINITY }, 'score: expected a number'],
    ['egress.allowed', { egress: { port: -1 } }, 'egress.port: expected a count'],
    ['egress.allowed', { egress: { kind: 'tls' } }, "egress.kind: expected one of 'connect', 'http', 'https'"],
    ['gap', { missed: 1.5 }, 'missed: expected a count'],
    ['mode.changed', { to: { hash: 1 } }, 'to.hash: expected a string'],
    ['attestation', { tools: { send: 7 } }, 'tools["send"]: expected a string'],
    ['attestation', { onChange: 'ignore' }, "onChange: expected one of 'alert', 'deny'"],
    [
      'attestation',
      { changes: [{ feature: 'attest.code' }] },
      "changes[0].feature: expected one of 'attest.tool', 'attest.policy', 'attest.file'",
    ],
    ['call.requested', [], 'expected an object'],
  ] as const)('refuses %s data %j, naming the field', (type, data, problem) => {
    expect(checkRecordData(type, data)).toBe(problem);
    expect(parseRecordData(type, data)).toEqual({ ok: false, reason: `data.${problem}` });
  });

  it('holds every sub-code to its closed list, on each record type that carries it', () => {
    const lists = {
      approvalCode: APPROVAL_RECORD_CODES,
      credentialCode: CREDENTIAL_RECORD_CODES,
      envelopeCode: ENVELOPE_RECORD_CODES,
    } as const;
    const refusals = ['call.denied', 'call.invalid', 'approval.requested', 'approval.refused'] as const;
    // Each list is its owner's codes plus the guard's own, and nothing else.
    expect(ENVELOPE_RECORD_CODES).toEqual(ATTESTATION_ERROR_CODES);
    expect(CREDENTIAL_RECORD_CODES).toEqual([...IDENTITY_ERROR_CODES, 'ERR_GUARD_CREDENTIAL_CHECK_FAILED']);
    expect(APPROVAL_RECORD_CODES.filter((c) => !APPROVAL_ERROR_CODES.includes(c as never))).toEqual([
      'ERR_GUARD_APPROVAL_FAILED',
      'ERR_GUARD_APPROVAL_TIMEOUT',
      'ERR_GUARD_APPROVER_FAILED',
    ]);
    for (const type of refusals) {
      for (const [field, codes] of Object.entries(lists)) {
        for (const code of codes) expect(checkRecordData(type, { [field]: code })).toBeUndefined();
        // Another list's code, a code of the right family that does not exist, a near miss, other types.
        const others = Object.values(lists)
          .flat()
          .filter((c) => !(codes as readonly string[]).includes(c));
        for (const bad of [...others, 'ERR_ATTESTATION_NOPE', `${codes[0]} `, codes[0]?.toLowerCase(), '', 7, null]) {
          expect(checkRecordData(type, { [field]: bad }), `${type} ${field} ${String(bad)}`).toMatch(
            new RegExp(`^${field}: expected an? \\w+ code \\(`),
          );
        }
      }
    }
  });

  it('refuses on append a record whose sub-code is not in its list', async () => {
    const log = createAuditLog({ sink: createMemorySink() });
    const hostile = { ...event(0), type: 'call.denied' as const, data: { credentialCode: '\u001b[2J' } };
    await expect(log.append(hostile, AGENT)).rejects.toMatchObject({
      code: 'ERR_AUDIT_EVENT_INVALID',
      message:
        'invalid event: data.credentialCode: expected a credential code (ERR_IDENTITY_*, ERR_GUARD_CREDENTIAL_CHECK_FAILED)',
    });
    expect((await log.append(event(0), AGENT)).seq).toBe(0);
  });

  it('readRecordFields gives the fields the type names, checked, and nothing another type names', () => {
    const data = { decision, durationMs: 2, agentName: 42, code: { not: 'a code' }, note: 'x' };
    // agentName and code belong to other record types: unchecked here, so not read from a call.completed.
    expect(readRecordFields('call.completed', data)).toEqual({ decision, durationMs: 2 });
    expect(readRecordFields('call.requested', { agentName: 'alice', tags: ['a'] })).toEqual({
      agentName: 'alice',
      tags: ['a'],
    });
    expect(readRecordFields('gap', undefined)).toEqual({});
    expect(readRecordFields('call.completed', { durationMs: 'slow' })).toBeUndefined();
    expect(readRecordFields('call.denied', { credentialCode: 'ERR_MINE' })).toBeUndefined();
    // A copy as plain JSON: nothing shared with the record, each member read once, nothing inherited read.
    const kept = { durationMs: 1, decision: { effect: 'allow' } };
    const copy = readRecordFields('call.completed', kept);
    expect(copy).toEqual(kept);
    expect(copy).not.toBe(kept);
    expect(copy?.decision).not.toBe(kept.decision);
    let reads = 0;
    const flips = {
      get durationMs() {
        return reads++ === 0 ? 1 : 'slow';
      },
    };
    expect(readRecordFields('call.completed', flips)).toEqual({ durationMs: 1 });
    expect(reads).toBe(1);
    const inherited = { decision: Object.create({ effect: 42 }) };
    expect(readRecordFields('call.completed', inherited)).toEqual({ decision: {} });
    expect(readRecordFields('call.completed', { durationMs: 10n })).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(readRecordFields('call.completed', { decision: cycle })).toBeUndefined();
    // Not a record type, though every object has it.
    expect(readRecordFields('__proto__' as never, {})).toBeUndefined();
    expect(checkRecordData('__proto__' as never, {})).toBe('unknown record type "__proto__"');
  });

  it('reads absent data as empty', () => {
    expect(parseRecordData('gap', undefined)).toEqual({ ok: true, data: {} });
  });

  it('is checked on append: a wrongly typed field is refused and the chain does not move', async () => {
    const log = createAuditLog({ sink: createMemorySink() });
    const bad = { ...event(0), type: 'call.completed' as const, data: { durationMs: 'slow' } };
    await expect(log.append(bad, AGENT)).rejects.toMatchObject({
      code: 'ERR_AUDIT_EVENT_INVALID',
      message: 'invalid event: data.durationMs: expected a number',
    });
    expect((await log.append(event(0), AGENT)).seq).toBe(0);
  });
});

/** checkEvent's answer as a value: the event, or the problem it threw. */
function check(candidate: unknown): { event: unknown } | { problem: string } {
  try {
    return { event: checkEvent(candidate) };
  } catch (error) {
    if (error instanceof AuditError && error.code === 'ERR_AUDIT_EVENT_INVALID') return { problem: error.message };
    throw error;
  }
}

describe('checkEvent', () => {
  const base = { type: 'call.completed', callId: 'c-1', agent: AGENT.id, tool: 'search' };
  const arbitraryEvent = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...AUDIT_EVENT_TYPES), fc.string({ maxLength: 12 })),
      callId: fc.oneof(fc.constant('c-1'), fc.string({ maxLength: 300 })),
      agent: fc.oneof(fc.constant(AGENT.id), fc.string({ maxLength: 60 })),
      tool: fc.oneof(fc.constant('search'), fc.string({ maxLength: 300 }), fc.constant('a\nb')),
      data: fc.oneof(
        fc.constant(undefined),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue()),
        fc.array(fc.nat()),
      ),
      extra: fc.nat(),
    },
    { requiredKeys: [] },
  );

  it('accepts no event that AuditEventSchema refuses (it adds only the data contract)', () => {
    fc.assert(
      fc.property(arbitraryEvent, (candidate) => {
        const mine = check(candidate);
        if (!AuditEventSchema.safeParse(candidate).success) expect('problem' in mine).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts what AuditEventSchema accepts when the data keeps the contract, and copies its top level', () => {
    const data = { resultDigest: null, i: 1 };
    const checked = check({ ...base, data });
    expect(checked).toEqual({ event: { ...base, data } });
    expect('event' in checked && (checked.event as { data?: unknown }).data).not.toBe(data);
    expect(check(base)).toEqual({ event: base });
  });

  it.each([
    ['a class instance as data', { ...base, data: new Date(0) }],
    ['an event with a prototype', Object.assign(Object.create({ inherited: 1 }), base)],
    ['an empty tool', { ...base, tool: '' }],
    ['a 257-character tool', { ...base, tool: 'x'.repeat(257) }],
  ])('refuses %s', (_name, candidate) => {
    expect('problem' in check(candidate)).toBe(true);
  });
});
