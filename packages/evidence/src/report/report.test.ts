import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { createComplianceReport, type ComplianceReportOptions } from './report.js';
import type { ComplianceReport, ControlReport, ReportRegime } from './types.js';
import { DAY, ev, guardLog, LOG_KEY, ranCall, T0, TRUST, writeEvents } from '../../test/report-logs.js';

const guarded = await guardLog();

function control(report: ComplianceReport, id: string): ControlReport {
  const found = report.controls.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no control ${id}`);
  return found;
}

function run(bytes: Uint8Array, regime: ReportRegime, extra: Partial<ComplianceReportOptions> = {}) {
  return createComplianceReport(bytes, { regime, trust: TRUST, checkpointKeys: [LOG_KEY.id], ...extra });
}

describe('a log written by a real guard', () => {
  it('shows every PCI DSS 10.2 element, integrity, and the kinds logged', () => {
    const report = run(guarded.bytes, 'pci-dss-4');
    expect(control(report, 'pci-dss-4/10.2.1').status).toBe('found');
    expect(control(report, 'pci-dss-4/10.2.1').findings[0]?.text).toBe(
      'event kinds logged: call.completed (3), call.denied (1), call.requested (4)',
    );
    const elements = control(report, 'pci-dss-4/10.2.2');
    expect(elements.status).toBe('found');
    expect(elements.measured['share with success or failure']).toBe('100.0%');
    expect(control(report, 'pci-dss-4/10.3').status).toBe('found');
    // The guard's records are minutes old: twelve months cannot be shown yet.
    expect(control(report, 'pci-dss-4/10.5.1').status).toBe('partly');
  });

  it('shows HIPAA audit controls, integrity with results bound, and authentication by signed envelopes', () => {
    const report = run(guarded.bytes, 'hipaa');
    expect(report.controls.map((c) => [c.id, c.status])).toEqual([
      ['hipaa/164.312(b)', 'found'],
      ['hipaa/164.312(c)(1)', 'found'],
      ['hipaa/164.312(d)', 'found'],
      ['hipaa/164.308(a)(8)', 'not found'], // no assessment recorded
    ]);
    expect(control(report, 'hipaa/164.312(d)').measured['share signed by the agent']).toBe('100.0%');
  });

  it('lists the labelled tool as processing personal data, and flags the unlabelled one the redactor caught', () => {
    const report = run(guarded.bytes, 'gdpr');
    const art30 = control(report, 'gdpr/art-30');
    expect(art30.status).toBe('partly');
    const [lookup, mail] = [...art30.findings].sort((a, b) => (a.text < b.text ? -1 : 1));
    expect(lookup?.text).toMatch(/^tool lookup_customer: 2 call\(s\).*allowed by rules: crm-read.*labelled: reads:pii/);
    expect(lookup?.status).toBe('found');
    expect(mail?.text).toMatch(/^tool send_email: 1 call\(s\).*NOT labelled.*email \(1\)/);
    expect(mail?.contradicts).toHaveLength(1);
    expect(control(report, 'gdpr/art-17')).toMatchObject({
      status: 'not found',
      findings: [{ text: 'no erasures recorded' }],
    });
  });

  it('finds Art. 30 in full once the mail tool is labelled', async () => {
    const labelled = await guardLog({ labelMail: true });
    expect(control(run(labelled.bytes, 'gdpr'), 'gdpr/art-30').status).toBe('found');
  });

  it('shows SOC 2 logical access and monitoring; change management not found without attestation', () => {
    const report = run(guarded.bytes, 'soc2');
    expect(control(report, 'soc2/CC6.1').status).toBe('found');
    expect(control(report, 'soc2/CC7.2').status).toBe('found');
    expect(control(report, 'soc2/CC8.1').status).toBe('not found');
  });

  it('shows EU AI Act automatic logging with the risk situations (the denial)', () => {
    const report = run(guarded.bytes, 'eu-ai-act');
    const art12 = control(report, 'eu-ai-act/art-12');
    expect(art12.status).toBe('found');
    expect(art12.findings.at(-1)?.text).toMatch(/risk recorded: 1/);
  });
});

describe('controls built to fail', () => {
  it('10.2.1, 164.312(b), Art. 12: no call event is not found; a gap record makes it partly', async () => {
    const none = await writeEvents([{ at: T0, event: ev('attestation', 0, { tools: {}, changes: [] }, 'agentguard') }]);
    for (const [regime, id] of [
      ['pci-dss-4', 'pci-dss-4/10.2.1'],
      ['hipaa', 'hipaa/164.312(b)'],
      ['eu-ai-act', 'eu-ai-act/art-12'],
    ] as const) {
      expect(control(run(none.bytes, regime), id).status).toBe('not found');
    }
    const gap = await writeEvents([
      ...ranCall(0),
      { at: T0, event: ev('gap', 1, { missed: 3, since: '2026-06-01T00:00:00.000Z' }) },
      ...ranCall(2),
    ]);
    const c = control(run(gap.bytes, 'pci-dss-4'), 'pci-dss-4/10.2.1');
    expect(c.status).toBe('partly');
    expect(c.measured['unrecorded events reported']).toBe(3);
    expect(c.findings.find((f) => f.status === 'partly')?.contradicts).toEqual(['2']);
  });

  it('10.2.2: a request without an outcome, or without an envelope or args digest, contradicts it', async () => {
    const log = await writeEvents([
      ...ranCall(0),
      { at: T0, event: ev('call.requested', 1) }, // no outcome
      { at: T0, event: ev('call.requested', 2, { signing: 'batched' }) }, // no args digest
      { at: T0, event: ev('call.denied', 2) },
    ]);
    const c = control(run(log.bytes, 'pci-dss-4'), 'pci-dss-4/10.2.2');
    expect(c.status).toBe('partly');
    const outcome = c.findings.find((f) => f.text.startsWith('success or failure'));
    expect(outcome?.contradicts).toEqual(['2']);
    expect(c.measured['share with success or failure']).toBe('80.0%');
    expect(c.findings.find((f) => f.text.startsWith('affected resource'))?.contradicts).toEqual(['3']);
    // No request carries the agent's signed envelope (all were written without one).
    const origin = c.findings.find((f) => f.text.startsWith('origin'));
    expect(origin?.contradicts).toEqual(['0', '2-3']);
  });

  it("10.2.2: an outcome of another agent with the same call id is not this request's outcome", async () => {
    const other = createIdentity({ secretKey: new Uint8Array(32).fill(23) });
    const log = await writeEvents([
      { at: T0, event: ev('call.requested', 0) },
      { at: T0, event: { ...ev('call.completed', 0), agent: other.id } },
    ]);
    const c = control(run(log.bytes, 'pci-dss-4', { trust: [...TRUST, other.id] }), 'pci-dss-4/10.2.2');
    expect(c.findings.find((f) => f.text.startsWith('success or failure'))?.contradicts).toEqual(['0']);
  });

  it('10.3, 164.312(c)(1), CC7.2: a changed byte is not found, pointing at the record; no trust is partly', () => {
    const lines = guarded.lines.map((l, i) => (i === 2 ? l.replace('"c-2"', '"c-3"') : l));
    const broken = new TextEncoder().encode(`${lines.join('\n')}\n`);
    for (const [regime, id] of [
      ['pci-dss-4', 'pci-dss-4/10.3'],
      ['hipaa', 'hipaa/164.312(c)(1)'],
      ['soc2', 'soc2/CC7.2'],
    ] as const) {
      const c = control(run(broken, regime), id);
      expect(c.status).toBe('not found');
      expect(c.findings[0]?.contradicts).toEqual(['2']);
      expect(c.findings[0]?.supports).toEqual(['0-1']);
    }
    const untrusted = createComplianceReport(guarded.bytes, { regime: 'pci-dss-4' });
    expect(control(untrusted, 'pci-dss-4/10.3').status).toBe('partly');
  });

  it('10.3: records after the last checkpoint make it partly (a tail could be removed unseen)', async () => {
    const log = await writeEvents(ranCall(0), { checkpoint: false });
    const c = control(run(log.bytes, 'pci-dss-4', { checkpointKeys: [] }), 'pci-dss-4/10.3');
    expect(c.status).toBe('partly');
    expect(c.findings.at(-1)?.contradicts).toEqual(['0-1']);
  });

  it('164.312(c)(1): a completed call without a result digest is partly', async () => {
    const log = await writeEvents([
      ...ranCall(0),
      { at: T0, event: ev('call.requested', 1) },
      { at: T0, event: ev('call.completed', 1, { decision: { effect: 'allow' } }) },
    ]);
    const c = control(run(log.bytes, 'hipaa'), 'hipaa/164.312(c)(1)');
    expect(c.status).toBe('partly');
    expect(c.findings.at(-1)?.contradicts).toEqual(['3']);
  });

  it('164.308(a)(8) and CC4.1: assessments recorded are found, each linked; high findings in the newest are partly', async () => {
    const assessment = (worst: string) => ({
      reportDigest: `sha256:${'c'.repeat(64)}`,
      deployment: 'prod',
      worst,
      counts: { critical: 0, high: worst === 'high' ? 1 : 0, medium: 0, low: 0, info: 0 },
      findingIds: worst === 'high' ? ['AG-POL-001'] : [],
    });
    const fixed = await writeEvents([
      ...ranCall(0),
      { at: T0 + DAY, event: ev('assessment', 1, assessment('high'), '*') },
      { at: T0 + 2 * DAY, event: ev('assessment', 2, assessment('none'), '*') },
    ]);
    const found = control(run(fixed.bytes, 'hipaa'), 'hipaa/164.308(a)(8)');
    expect(found.status).toBe('found');
    expect(found.measured).toMatchObject({ assessments: 2, 'newest worst severity': 'none' });
    expect(found.findings[0]?.supports).toEqual(['2-3']);
    const open = await writeEvents([
      ...ranCall(0),
      { at: T0 + DAY, event: ev('assessment', 1, assessment('high'), '*') },
    ]);
    const partly = control(run(open.bytes, 'soc2'), 'soc2/CC4.1');
    expect(partly.status).toBe('partly');
    expect(partly.findings.at(-1)?.contradicts).toEqual(['2']);
  });

  it("164.312(d) and CC6.1: requests without the agent's envelope are not found", async () => {
    const log = await writeEvents([...ranCall(0), ...ranCall(1)]);
    expect(control(run(log.bytes, 'hipaa'), 'hipaa/164.312(d)')).toMatchObject({
      status: 'not found',
      findings: [{ contradicts: ['0', '2'] }],
    });
    expect(control(run(log.bytes, 'soc2'), 'soc2/CC6.1').status).toBe('not found');
  });

  it("164.312(d): a request another key signed, without the agent's envelope, is not the agent's", async () => {
    const requested = ev('call.requested', 0, { argsDigest: `sha256:${'ab'.repeat(32)}`, agentName: 'report-agent' });
    const byAgent = await writeEvents([{ at: T0, event: requested }]);
    const byOther = await writeEvents([{ at: T0, event: requested }], { signer: LOG_KEY });
    expect(control(run(byAgent.bytes, 'hipaa'), 'hipaa/164.312(d)').status).toBe('found');
    expect(control(run(byOther.bytes, 'hipaa'), 'hipaa/164.312(d)')).toMatchObject({
      status: 'not found',
      findings: [{ contradicts: ['0'] }],
    });
  });

  it('CC6.1: a call that ran with no recorded decision, or only in monitor mode, contradicts it', async () => {
    const log = await writeEvents([
      ...ranCall(0),
      { at: T0, event: ev('call.completed', 1, { resultDigest: null }) },
      { at: T0, event: ev('call.completed', 2, { decision: { effect: 'allow', wouldDeny: true, mode: 'monitor' } }) },
    ]);
    const c = control(run(log.bytes, 'soc2'), 'soc2/CC6.1');
    const authz = c.findings.find((f) => f.text.startsWith('calls that ran with'));
    expect(authz).toMatchObject({ status: 'partly', contradicts: ['2'] });
    expect(c.findings.find((f) => f.text.includes('monitor mode'))?.contradicts).toEqual(['3']);
  });

  it('CC8.1: attestations and policy changes with both hashes are found; a change without hashes is partly', async () => {
    const good = await writeEvents([
      { at: T0, event: ev('attestation', 0, { tools: {}, changes: [] }, 'agentguard') },
      {
        at: T0,
        event: ev(
          'mode.changed',
          1,
          { from: { hash: 'a', mode: 'enforce' }, to: { hash: 'b', mode: 'enforce' } },
          'agentguard',
        ),
      },
      ...ranCall(2),
    ]);
    expect(control(run(good.bytes, 'soc2'), 'soc2/CC8.1').status).toBe('found');
    const bad = await writeEvents([
      { at: T0, event: ev('attestation', 0, { tools: {}, changes: [] }, 'agentguard') },
      { at: T0, event: ev('mode.changed', 1, { to: { mode: 'off' } }, 'agentguard') },
    ]);
    const c = control(run(bad.bytes, 'soc2'), 'soc2/CC8.1');
    expect(c.status).toBe('partly');
    expect(c.findings.at(-1)?.contradicts).toEqual(['1']);
  });

  it('Art. 30: values sealed for a data subject count as personal data, with their pseudonymous subjects', async () => {
    const sealed = (subject: string) => ({
      alg: 'A256GCM',
      kind: 'email',
      subject: subject.repeat(64),
      kid: '0'.repeat(16),
      iv: 'AAAAAAAAAAAAAAAA',
      ct: 'AAAA',
      tag: 'AAAAAAAAAAAAAAAAAAAAAA',
    });
    const request = (i: number, subject: string) => ({
      at: T0,
      event: ev(
        'call.requested',
        i,
        { argsDigest: `sha256:${'ab'.repeat(32)}`, args: { to: sealed(subject) } },
        'mailer',
      ),
    });
    const log = await writeEvents([request(0, 'a'), request(1, 'b'), request(2, 'a')]);
    const art30 = control(run(log.bytes, 'gdpr'), 'gdpr/art-30');
    // Sealed, so personal; but the tool is not labelled so.
    expect(art30.status).toBe('partly');
    expect(art30.findings[0]?.text).toMatch(/sealed email \(3\); data subjects \(pseudonymous\): 2$/);
    expect(art30.findings[0]?.contradicts).toEqual(['0-2']);
  });

  it('Art. 30: a log without personal data says so', async () => {
    const log = await writeEvents(ranCall(0));
    expect(control(run(log.bytes, 'gdpr'), 'gdpr/art-30').findings[0]?.text).toMatch(
      /^no processing of personal data recorded/,
    );
  });
});

describe('retention: 10.5.1 (12 months) and Art. 19 (6 months)', () => {
  const at = (days: number) => T0 - days * DAY;

  it('found when the records reach back far enough, partly when the log is younger', async () => {
    const year = await writeEvents([...ranCall(0, at(400)), ...ranCall(1, at(100)), ...ranCall(2, at(0))]);
    const pci = control(run(year.bytes, 'pci-dss-4'), 'pci-dss-4/10.5.1');
    expect(pci.status).toBe('found');
    expect(pci.measured['days covered before the report instant']).toBe(400);
    // The records within the last 12 months support the period; the last 3 months: the newest two.
    expect(pci.findings[0]?.supports).toEqual(['2-6']);
    expect(pci.findings[1]?.supports).toEqual(['4-6']);
    const young = await writeEvents([...ranCall(0, at(120)), ...ranCall(1, at(0))]);
    expect(control(run(young.bytes, 'pci-dss-4'), 'pci-dss-4/10.5.1').status).toBe('partly');
    expect(control(run(young.bytes, 'eu-ai-act'), 'eu-ai-act/art-19').status).toBe('partly');
    const seven = await writeEvents([...ranCall(0, at(215)), ...ranCall(1, at(0))]);
    expect(control(run(seven.bytes, 'eu-ai-act'), 'eu-ai-act/art-19').status).toBe('found');
  });

  it('counts back from the given instant, and reports the rotation settings', async () => {
    const log = await writeEvents([...ranCall(0, at(150)), ...ranCall(1, at(0))]);
    const later = run(log.bytes, 'eu-ai-act', { nowMs: T0 + 30 * DAY, rotation: { maxAgeMs: DAY } });
    const c = control(later, 'eu-ai-act/art-19');
    expect(later.asOf).toBe('2026-07-01T00:00:00.000Z');
    expect(c.measured['required from']).toBe('2026-01-01T00:00:00.000Z');
    expect(c.status).toBe('partly');
    expect(c.measured['rotation max age (ms)']).toBe(DAY);
    expect(c.findings.find((f) => f.text.startsWith('rotation'))?.text).toMatch(/every 86400000 ms.*deletes no file/);
    // One file spans 150 days: not written with a one-day rotation.
    expect(c.measured['files longer than the rotation age']).toBe(1);
    expect(c.findings.at(-1)?.contradicts).toEqual(['0-4']);
    const fits = run(log.bytes, 'eu-ai-act', { rotation: { maxAgeMs: 200 * DAY } });
    expect(control(fits, 'eu-ai-act/art-19').measured['files longer than the rotation age']).toBe(0);
  });

  it('not found for a log with no record that verifies', () => {
    const bad = new TextEncoder().encode('{"not":"a record"}\n');
    const report = run(bad, 'pci-dss-4');
    expect(control(report, 'pci-dss-4/10.5.1').status).toBe('not found');
    expect(report.controls.every((c) => c.status === 'not found')).toBe(true);
  });
});

describe('the files of a rotated log', () => {
  it("reports each file's period and seq numbers", async () => {
    const log = await writeEvents([...ranCall(0, T0 - 10 * DAY), ...ranCall(1, T0)]);
    const enc = new TextEncoder();
    const first = enc.encode(`${log.lines.slice(0, 2).join('\n')}\n`);
    const second = enc.encode(`${log.lines.slice(2).join('\n')}\n`);
    const report = createComplianceReport(
      [
        { name: 'audit-000001.jsonl', bytes: first },
        { name: 'audit-000002.jsonl', bytes: second },
      ],
      { regime: 'eu-ai-act', trust: TRUST },
    );
    expect(report.log.files).toEqual([
      {
        name: 'audit-000001.jsonl',
        firstSeq: 0,
        lastSeq: 1,
        from: '2026-05-22T00:00:00.000Z',
        to: '2026-05-22T00:00:00.000Z',
      },
      {
        name: 'audit-000002.jsonl',
        firstSeq: 2,
        lastSeq: 4,
        from: '2026-06-01T00:00:00.000Z',
        to: '2026-06-01T00:00:00.000Z',
      },
    ]);
  });
});

describe('large logs stay bounded', () => {
  it('Art. 30 lists at most 100 tools and 20 agents each, and walks huge argument arrays', async () => {
    const events = Array.from({ length: 130 }, (_, i) => ({
      at: T0,
      event: ev(
        'call.requested',
        i,
        {
          argsDigest: `sha256:${'ab'.repeat(32)}`,
          labels: i % 2 === 0 ? ['reads:pii'] : [],
          agentName: `agent-${String(i % 25).padStart(2, '0')}`,
          args: {
            list:
              i === 1
                ? Array.from({ length: 300_000 }, () => 1)
                    .concat([0])
                    .map((n) => (n === 0 ? '[REDACTED:email]' : n))
                : ['[REDACTED:phone]'],
          },
        },
        i < 30 ? 'crm' : `tool-${String(i).padStart(3, '0')}`,
      ),
    }));
    const log = await writeEvents(events);
    const art30 = control(run(log.bytes, 'gdpr'), 'gdpr/art-30');
    expect(art30.measured['tools processing personal data']).toBe(101);
    expect(art30.findings).toHaveLength(101);
    expect(art30.findings.at(-1)?.text).toMatch(/^1 more tool\(s\) processed personal data/);
    const crm = art30.findings.find((f) => f.text.startsWith('tool crm:'));
    expect(crm?.text).toMatch(/agents: agent-00, .*agent-19, \+5 more;/);
    expect(crm?.text).toMatch(/email \(1\), phone \(29\)/);
    const long = await writeEvents([
      {
        at: T0,
        event: ev('call.requested', 0, {
          argsDigest: `sha256:${'ab'.repeat(32)}`,
          labels: ['pii'],
          agentName: '😀'.repeat(100_000),
        }),
      },
    ]);
    const text = control(run(long.bytes, 'gdpr'), 'gdpr/art-30').findings[0]?.text ?? '';
    expect(text).toContain(`agents: ${'😀'.repeat(128)}…;`);
    expect(text.length).toBeLessThan(1000);
  });
});

describe('bad input', () => {
  it('refuses bad arguments with TypeError or RangeError', () => {
    const bytes = new Uint8Array(0);
    const bad: [unknown, unknown][] = [
      [bytes, { regime: 'sox' }],
      [bytes, { regime: 'gdpr', nowMs: Number.NaN }],
      [bytes, { regime: 'gdpr', nowMs: -1 }],
      [bytes, { regime: 'gdpr', rotation: { maxAgeMs: -5 } }],
      [bytes, null],
      ['text', { regime: 'gdpr' }],
      [[], { regime: 'gdpr' }],
      [[{ name: 1, bytes }], { regime: 'gdpr' }],
    ];
    for (const [log, options] of bad) {
      expect(() => createComplianceReport(log as Uint8Array, options as ComplianceReportOptions)).toThrow(/expected/);
    }
  });

  it('reads nothing after a break, whatever the later records say', () => {
    const lines = [...guarded.lines];
    lines.splice(1, 0, '{"__proto__":{"x":1}}');
    const report = run(new TextEncoder().encode(`${lines.join('\n')}\n`), 'hipaa');
    expect(report.log.records).toBe(1);
    expect(control(report, 'hipaa/164.312(c)(1)').status).toBe('not found');
  });
});
