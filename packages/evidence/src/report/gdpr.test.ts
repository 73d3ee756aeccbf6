import type { EventRecord, LogReport } from '@agentguard/audit';
import { describe, expect, it } from 'vitest';
import { ERASURE_TYPE, erasures } from './gdpr.js';
import type { LogFacts } from './read.js';

// The reader is held to the record contract (records named `subject.erased` whose data names the pseudonymous
// `subject`, 64 hex digits) on records as a reader would get them.
const base = {
  v: 1,
  ts: '2026-06-01T00:00:00.000Z',
  prev: '0'.repeat(64),
  signer: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  agent: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  tool: 'agentguard.erase',
  hash: 'a'.repeat(64),
};
const erased = (seq: number, data: Record<string, unknown>) =>
  ({ ...base, seq, callId: `erase-${seq}`, type: ERASURE_TYPE, data }) as unknown as EventRecord;
const S1 = '1'.repeat(64);
const S2 = '2'.repeat(64);
const facts = (events: EventRecord[]): LogFacts => ({
  verification: { ok: true } as LogReport,
  records: events,
  events,
  files: [],
  asOfMs: 0,
});

describe('erasures (GDPR Art. 17)', () => {
  it('counts erasures and subjects, each linked to its record', () => {
    const m = erasures(facts([erased(3, { subject: S1 }), erased(5, { subject: S2 }), erased(6, { subject: S1 })]));
    expect(m.status).toBe('found');
    expect(m.measured).toEqual({ erasures: 3, subjects: 2 });
    expect(m.findings[0]?.supports).toEqual(['3', '5-6']);
  });

  it('an erasure naming no subject contradicts it', () => {
    const m = erasures(
      facts([erased(1, { subject: S1 }), erased(2, { subject: 42 }), erased(3, { subject: 's-1' }), erased(4, {})]),
    );
    expect(m.status).toBe('partly');
    // A subject that is not the contract's 64 hex digits names no one.
    expect(m.findings[0]?.contradicts).toEqual(['2-4']);
  });

  it('says "no erasures recorded" when there is none', () => {
    expect(erasures(facts([])).findings[0]?.text).toBe('no erasures recorded');
  });
});
