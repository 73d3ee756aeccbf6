import type { LogReport } from '@agentguard/audit';
import { describe, expect, it } from 'vitest';
import { buildTimeline, lineStatus, markTimeline } from './timeline.js';

const agent = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const rec = (type: string, callId: string, data: Record<string, unknown> = {}) =>
  JSON.stringify({ type, callId, agent, tool: 'refund', ts: '2026-01-01T00:00:00.000Z', data });
const text = `${[
  rec('call.requested', 'a', { args: { id: 7 }, agentName: 'billing', session: 's1' }),
  rec('approval.requested', 'a'),
  rec('approval.granted', 'a', { approver: 'did:key:z6Mkapprover' }),
  rec('call.completed', 'a', { decision: { effect: 'require_approval', ruleId: 'big-refunds' }, durationMs: 2 }),
  rec('call.failed', 'b', { error: { code: 'ERR_GUARD_TOOL_FAILED', message: 'tool threw' } }),
  rec('approval.refused', 'c', { approver: 'did:key:z6Mkboss', reason: 'approval refused: too big' }),
  JSON.stringify({ type: 'gap', ts: '2026-01-01T00:00:01.000Z', data: { missed: 3 } }),
  'not json',
].join('\n')}\n`;
const failedAt = (line: number): LogReport => ({
  ok: false,
  records: line - 1,
  line,
  code: 'ERR_AUDIT_HASH_MISMATCH',
  reason: 'x',
});

describe('buildTimeline', () => {
  it('gathers each call from its records: args, decision, rule, approval and approver, outcome, duration', () => {
    const ok: LogReport = {
      ok: true,
      records: 7,
      events: 7,
      anchored: false,
      signers: [],
      head: '',
      root: '',
      checkpoints: 0,
      latestCheckpoint: undefined,
      sealed: false,
    };
    const t = buildTimeline(text, ok);
    expect(t.lines).toBe(8);
    expect(t.calls[0]).toMatchObject({
      callId: 'a',
      agentName: 'billing',
      session: 's1',
      args: '{"id":7}',
      decision: 'require_approval',
      rule: 'big-refunds',
      approval: 'granted',
      approver: 'did:key:z6Mkapprover',
      outcome: 'completed',
      durationMs: 2,
      lines: [1, 2, 3, 4],
      status: 'verified',
    });
    expect(t.calls[1]).toMatchObject({ outcome: 'failed', reason: 'ERR_GUARD_TOOL_FAILED: tool threw' });
    expect(t.calls[2]).toMatchObject({
      approval: 'refused',
      approver: 'did:key:z6Mkboss',
      outcome: 'denied',
      reason: 'approval refused: too big',
    });
    expect(t.alerts).toEqual([
      { line: 7, ts: '2026-01-01T00:00:01.000Z', type: 'gap', text: 'gap: 3 record(s) lost', status: 'verified' },
    ]);
    expect(t.agents).toEqual([{ id: agent, name: 'billing', calls: 3 }]);
  });

  it("shows the guard's own events as alerts with their fields, never as calls", () => {
    const ev = (type: string, data: Record<string, unknown>) =>
      JSON.stringify({ type, callId: `${type}:1`, agent, tool: '*', ts: '2026-01-01T00:00:00.000Z', data });
    const events = `${[
      ev('control.status', {
        seq: 4,
        measures: [{ kind: 'suspend', scope: { kind: 'agent', value: 'did:key:z6Mkx' } }],
      }),
      ev('control.status', { seq: 5, measures: [] }),
      ev('monitor.suspended', { ruleId: 'exfil', reason: 'mail to a new domain' }),
      ev('monitor.resumed', { by: 'alice', reason: 'false positive' }),
      ev('monitor.alert', {
        alerts: [{ feature: 'value.email' }, { feature: 'value.email' }, { feature: 'size.result' }],
      }),
      ev('egress.refused', { egress: { host: '169.254.169.254', port: 80, reason: 'metadata' } }),
      ev('mode.changed', { from: { mode: 'monitor' }, to: { mode: 'enforce' } }),
      ev('subject.erased', { subject: 'ab'.repeat(32), keyIds: ['0123456789abcdef'] }),
      ev('assessment', { worst: 'high' }),
      ev('attestation', { changes: [] }),
      ev('attestation', { changes: [{ feature: 'attest.tool' }] }),
      ev('log.recovered', { torn: { line: 9 } }),
      ev('monitor.alert', { status: 'failed', reason: 'profile unreadable' }),
      ev('control.status', { seq: 'x', measures: 'junk' }),
      ev('control.rejected', { code: 'ERR_INCIDENT_STATUS_UNTRUSTED', reason: 'not an operator key', suppressed: 3 }),
    ].join('\n')}\n`;
    const t = buildTimeline(events);
    expect(t.calls).toEqual([]);
    expect(t.alerts.map((a) => a.text)).toEqual([
      'control status 4: suspend agent:did:key:z6Mkx',
      'control status 5: everything resumed',
      'agent suspended by the monitor policy (rule exfil): mail to a new domain',
      'agent resumed by alice: false positive',
      'monitor alert: value.email, size.result',
      'egress refused: 169.254.169.254:80 (metadata)',
      'mode changed from monitor to enforce',
      'data subject erased (1 key(s) destroyed)',
      'security assessment: worst finding high',
      'attestation: 1 change(s) against the pins',
      'log recovered: torn line 9 set aside',
      'monitor failed: profile unreadable',
      'control status ?: everything resumed',
      'control status refused: ERR_INCIDENT_STATUS_UNTRUSTED (not an operator key) (+3 not written)',
    ]);
  });

  it('fails closed: without a verdict every line is unverified; after a bad line, everything is', () => {
    expect(buildTimeline(text).calls.every((c) => c.status === 'unverified')).toBe(true);
    const marked = markTimeline(buildTimeline(text), failedAt(3));
    expect(marked.calls.map((c) => c.status)).toEqual(['bad', 'unverified', 'unverified']);
    expect(marked.alerts[0]?.status).toBe('unverified');
    expect(markTimeline(buildTimeline(text), failedAt(5)).calls.map((c) => c.status)).toEqual([
      'verified',
      'bad',
      'unverified',
    ]);
  });

  it('lineStatus: a failure at line 0 (the external checkpoint) leaves no line verified', () => {
    expect([1, 2].map((l) => lineStatus(failedAt(0), l))).toEqual(['unverified', 'unverified']);
    expect([1, 2, 3].map((l) => lineStatus(failedAt(2), l))).toEqual(['verified', 'bad', 'unverified']);
  });

  it('lineStatus: only the records the report counts as verified are (a batched record no checkpoint covered is not)', () => {
    const report = { ...failedAt(5), records: 2 } as LogReport;
    expect([1, 2, 3, 4, 5, 6].map((l) => lineStatus(report, l))).toEqual([
      'verified',
      'verified',
      'unverified',
      'unverified',
      'bad',
      'unverified',
    ]);
  });
});
