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
    'df3a49de40686b0193100c045f627acb017a6c9bf8b2e5c9e3ded04f9484c626',
    '150257f756c0c448231af1dbd49c2415680883aafa55f63d22133c837d1bb0dd',
  ],
  hipaa: [
    'cf4dc64d78de2bac2f8303d370e73128144dfa5797c20b761b10fcc804064f9e',
    '44aca83ba34f357e1e4aaeef480b01f7db689cf43c8d88336e44a7b74662c4f6',
  ],
  gdpr: [
    '26fcfb92bce0b3e7658e0f70fcdf04803d6b64539e16f3e7b85b0467256fee2e',
    '0b83fdafdb35ab22d9ce9a1be451bcb5ec91f19f4f015a05dc9f188009a288ad',
  ],
  'eu-ai-act': [
    '5057b1de3812ce4da865d266c6b2820c287b7d0b4622c669c1d8f02d6fa171f9',
    'd60f7fec367a3680d6b7c6a5fac707fa63cdb554ac50febf2d6e14ccb8c3a7ca',
  ],
  soc2: [
    '7e059c142c4595867521b8622a72236f114eb7f82b3eaf7a113606f97008eea0',
    '314631c2d44e0d6ba95692b4a0d5f554565b119eabae3fdc1a99427371219b57',
  ],
};
