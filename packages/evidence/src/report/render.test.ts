import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createComplianceReport } from './report.js';
import { formatReportJson, formatReportMarkdown } from './render.js';
import { REPORT_REGIMES } from './types.js';
import { DAY, ev, LOG_KEY, ranCall, T0, TRUST, writeEvents } from '../../test/report-logs.js';

/** A log whose bytes are fixed: fixed keys (Ed25519 is deterministic), fixed times, fixed ids. */
const fixed = () =>
  writeEvents([
    ...ranCall(0, T0 - 400 * DAY),
    {
      at: T0 - 30 * DAY,
      event: ev(
        'call.requested',
        1,
        {
          argsDigest: `sha256:${'cd'.repeat(32)}`,
          labels: ['reads:pii'],
          args: { to: '[REDACTED:email]' },
          agentName: 'crm | # bot',
          session: 's1',
        },
        'lookup',
      ),
    },
    { at: T0 - 30 * DAY, event: ev('call.completed', 1) },
    { at: T0 - DAY, event: ev('call.requested', 2) },
    { at: T0, event: ev('call.denied', 2) },
  ]);

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('report output', () => {
  it('is the same bytes for the same log, built twice', async () => {
    const [a, b] = [await fixed(), await fixed()];
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    for (const regime of REPORT_REGIMES) {
      const options = { regime, trust: TRUST, checkpointKeys: [LOG_KEY.id] };
      const [ra, rb] = [createComplianceReport(a.bytes, options), createComplianceReport(b.bytes, options)];
      expect(formatReportJson(ra)).toBe(formatReportJson(rb));
      expect(formatReportMarkdown(ra)).toBe(formatReportMarkdown(rb));
    }
  });

  // Pinned digests: the same bytes on every Node version the project supports (run by CI on 20 and 24). A change
  // of wording or format changes them on purpose; a change on one runtime only is a determinism bug.
  it('gives pinned bytes for a fixed log', async () => {
    const { bytes } = await fixed();
    const digests = Object.fromEntries(
      REPORT_REGIMES.map((regime) => {
        const report = createComplianceReport(bytes, { regime, trust: TRUST, checkpointKeys: [LOG_KEY.id] });
        return [regime, [sha(formatReportJson(report)), sha(formatReportMarkdown(report))]];
      }),
    );
    expect(digests).toEqual(PINNED);
  });

  it('has sorted keys and no wall-clock time in the JSON', async () => {
    const { bytes } = await fixed();
    const json = formatReportJson(createComplianceReport(bytes, { regime: 'pci-dss-4', trust: TRUST }));
    const parsed = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['asOf', 'controls', 'format', 'log', 'regime']);
    expect(parsed.asOf).toBe('2026-06-01T00:00:00.000Z');
    expect(json.endsWith('}\n')).toBe(true);
  });

  it('escapes text from the log in Markdown', async () => {
    const { bytes } = await fixed();
    const md = formatReportMarkdown(createComplianceReport(bytes, { regime: 'gdpr', trust: TRUST }));
    expect(md).toContain('crm \\| \\# bot');
    expect(md).not.toContain('crm | # bot');
    // One table row per control, nothing injected into the table.
    expect(md.split('\n').filter((l) => l.startsWith('| gdpr/'))).toHaveLength(2);
  });
});

const PINNED: Record<string, [string, string]> = {
  'pci-dss-4': [
    'bb72c9e63d45d0b53ca1926ab26ea520122a80e16c85951a7a9b06de6249b1d4',
    '1372dcab2c40c4699afac00a60a738142a409de84dd1c67e0ff6f81db18c9751',
  ],
  hipaa: [
    'd123fd6dd5ab613578ceafb0467207136b903efd528e9f2028c67370e5e357c2',
    'f509e25e298b4dcc701df9ea0798945180216cba5f6291dade54b634151a4b64',
  ],
  gdpr: [
    'e88f9de4abb73c1c150f7b9d5452c879a4e6a0a7af55b4205569cef881bf914f',
    'b5dd6d24bec32f1ecdc923feb57b68af32d3bcb6877f8bbb633834d6f2333359',
  ],
  'eu-ai-act': [
    '29034020c7b8136de2bd3ea8dfd23f338aa909b891b09ac22495be0d72c8ea09',
    '1f73674a2412b0de3a439f2b3b4ce3699e15fca0e9432e3f3d8fed06f74adbfd',
  ],
  soc2: [
    '45394efee064d850765928604861bc6cdade9c786996a966b35323a52af26d97',
    '7230c4ed9dde9220579d40902e232aa5acfbe0106ee4b24908522b3d745bb8f6',
  ],
};
