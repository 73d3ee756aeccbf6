import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FINDING_RULES, type FindingId, SEVERITIES, type Severity } from './catalogue.js';
import type { Finding } from './finding.js';
import type { AssessmentReport } from './report.js';

/** Output formats of a report. */
export const REPORT_FORMATS = Object.freeze(['table', 'markdown', 'json', 'sarif'] as const);

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Options of {@link formatReport}. */
export interface FormatReportOptions {
  /** SARIF: the URI results are located at (the deployment file, relative to the repository). @default 'agentguard.deployment.json' */
  readonly artifactUri?: string;
}

// Text from a deployment or a log is untrusted: no escape sequence or newline reaches a terminal or a table.
// Control, line-separator and format (bidi override, zero-width) characters: none reaches a file or a terminal.
const clean = (text: string) => text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?');

/** The report as canonical JSON text (two-space indent, trailing newline); its bytes are what is digested. */
export function reportJson(report: AssessmentReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * The `sha256:` digest of the report's JSON bytes ({@link reportJson}): the same input gives the same digest.
 *
 * @param report - an assessment report.
 */
export function reportDigest(report: AssessmentReport): string {
  return `sha256:${bytesToHex(sha256(new TextEncoder().encode(reportJson(report))))}`;
}

function subjectOf(f: Finding): string {
  const e = f.evidence;
  const parts = [
    ...(e.tools ?? []).map((t) => `tool:${t}`),
    ...(e.agents ?? []).map((a) => `agent:${a}`),
    ...(e.rules ?? []).map((r) => `rule:${r}`),
  ];
  return parts.length === 0 ? 'deployment' : parts.join(', ');
}

function evidenceText(f: Finding): string {
  const e = f.evidence;
  const parts = [...(e.facts ?? [])];
  if (e.records !== undefined && e.records.length > 0) parts.push(`records ${e.records.join(', ')}`);
  return parts.join('; ');
}

function table(report: AssessmentReport): string {
  const rows = report.findings.map((f) => [f.severity.toUpperCase(), f.id, subjectOf(f), f.message].map(clean));
  const header = ['SEVERITY', 'ID', 'SUBJECT', 'FINDING'];
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => (r[i] as string).length))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [`Assessment of ${clean(report.deployment)}: ${summaryText(report)}`, ''];
  out.push('TOOL TIERS');
  for (const t of report.tools) out.push(`  ${t.tier.padEnd(9)}${clean(t.name)}`);
  out.push('AGENT TIERS');
  for (const a of report.agents) out.push(`  ${a.tier.padEnd(9)}${clean(a.name)}`);
  out.push('');
  if (rows.length === 0) out.push('No findings.');
  else {
    out.push(line(header));
    for (const r of rows) out.push(line(r));
    out.push('');
    out.push('FIXES');
    const seen = new Set<string>();
    for (const f of report.findings) {
      if (seen.has(f.id)) continue;
      seen.add(f.id);
      out.push(`  ${f.id}  ${clean(f.fix)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function summaryText(report: AssessmentReport): string {
  const c = report.summary.counts;
  const parts = [...SEVERITIES]
    .reverse()
    .filter((s) => c[s] > 0)
    .map((s) => `${c[s]} ${s}`);
  return parts.length === 0 ? 'no findings' : `${parts.join(', ')} (worst: ${report.summary.worst})`;
}

const md = (text: string) => clean(text).replace(/([\\`*_[\]|<>])/g, '\\$1');

function markdown(report: AssessmentReport): string {
  const out = [`# Security assessment: ${md(report.deployment)}`, '', summaryText(report), ''];
  out.push('## Risk tiers', '', '| tool | tier | why |', '| --- | --- | --- |');
  for (const t of report.tools) out.push(`| ${md(t.name)} | ${t.tier} | ${md(t.reasons.join('; '))} |`);
  out.push('', '| agent | tier |', '| --- | --- |');
  for (const a of report.agents) out.push(`| ${md(a.name)} | ${a.tier} |`);
  out.push('', '## Findings', '');
  if (report.findings.length === 0) out.push('No findings.');
  else {
    out.push('| severity | id | subject | finding | evidence | fix |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of report.findings) {
      out.push(
        `| ${f.severity} | ${f.id} | ${md(subjectOf(f))} | ${md(f.message)} | ${md(evidenceText(f))} | ${md(f.fix)} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

// The `security-severity` property code-scanning UIs read (a CVSS-like score as a string).
const SCORE: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** The report as a SARIF 2.1.0 log (OASIS SARIF v2.1.0, §3.13 sarifLog), one run, one rule per finding id. */
export function reportSarif(report: AssessmentReport, options: FormatReportOptions = {}): unknown {
  const uri = options.artifactUri ?? 'agentguard.deployment.json';
  const ids = Object.keys(FINDING_RULES).sort() as FindingId[];
  const rules = ids.map((id) => {
    const r = FINDING_RULES[id];
    return {
      id,
      name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
      shortDescription: { text: r.title },
      fullDescription: { text: r.why },
      help: { text: r.fix, markdown: `${md(r.why)}\n\n**Fix:** ${md(r.fix)}` },
    };
  });
  const results = report.findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: ids.indexOf(f.id),
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Fix: ${f.fix}` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri } },
        logicalLocations: [{ fullyQualifiedName: `${report.deployment}/${subjectOf(f)}`, kind: 'resource' }],
      },
    ],
    partialFingerprints: {
      'agentguard/v1': bytesToHex(sha256(new TextEncoder().encode(`${f.id}\n${subjectOf(f)}`))).slice(0, 32),
    },
    properties: { severity: f.severity, 'security-severity': SCORE[f.severity], evidence: f.evidence },
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'agentguard-assess', semanticVersion: '1.0.0', rules } },
        automationDetails: { id: `agentguard-assess/${report.deployment}` },
        results,
      },
    ],
  };
}

/**
 * Writes a report as a terminal table, Markdown, JSON or SARIF 2.1.0. Deterministic: the same report gives
 * the same bytes. Text from the deployment is cleaned of control characters (and escaped in Markdown).
 *
 * @param report - an assessment report.
 * @param format - one of {@link REPORT_FORMATS}.
 * @param options - see {@link FormatReportOptions}.
 * @example
 * ```ts
 * process.stdout.write(formatReport(report, 'markdown'));
 * ```
 */
export function formatReport(
  report: AssessmentReport,
  format: ReportFormat,
  options: FormatReportOptions = {},
): string {
  switch (format) {
    case 'table':
      return table(report);
    case 'markdown':
      return markdown(report);
    case 'json':
      return reportJson(report);
    case 'sarif':
      return `${JSON.stringify(reportSarif(report, options), null, 2)}\n`;
    default:
      throw new TypeError(`"format" expected one of ${REPORT_FORMATS.join(', ')}, got ${String(format)}`);
  }
}
