import type { ComplianceReport, Finding, SeqRanges } from './types.js';

/** A deep copy with every object's keys sorted (arrays keep their order). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * The report as JSON: keys sorted, two-space indentation, one final newline. Numbers in a report are integers
 * and shares are strings, so the same report gives the same bytes on every runtime.
 *
 * @param report - a report from {@link createComplianceReport}.
 * @returns the JSON text.
 * @example
 * ```ts
 * writeFileSync('report.json', formatReportJson(report));
 * ```
 */
export function formatReportJson(report: ComplianceReport): string {
  return `${JSON.stringify(sortKeys(report), null, 2)}\n`;
}

// Control characters, bidi controls and line separators become visible escapes; Markdown syntax is escaped, so
// a tool or agent name taken from the log cannot add a heading, a link, a table cell or raw HTML.
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;
const MARKDOWN = /[\\`*_[\]<>#|~]/g;

/** Text from the log made inert in Markdown. */
function md(text: string): string {
  return text
    .replace(UNSAFE, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)
    .replace(MARKDOWN, (ch) => `\\${ch}`);
}

const seqs = (ranges: SeqRanges) => (ranges.length === 0 ? '' : ranges.join(', '));

function findingLine(f: Finding): string {
  const parts = [`- **${f.status}**: ${md(f.text)}`];
  if (f.supports.length > 0) parts.push(`  - supporting records (seq): ${seqs(f.supports)}`);
  if (f.contradicts.length > 0) parts.push(`  - contradicting records (seq): ${seqs(f.contradicts)}`);
  return parts.join('\n');
}

/**
 * The report as Markdown: a summary table of the controls, then each control with what was measured, its
 * findings and the records behind them, and its limits. Text from the log is escaped.
 *
 * @param report - a report from {@link createComplianceReport}.
 * @returns the Markdown text, ending with a newline.
 * @example
 * ```ts
 * writeFileSync('report.md', formatReportMarkdown(report));
 * ```
 */
export function formatReportMarkdown(report: ComplianceReport): string {
  const { log } = report;
  const out: string[] = [
    `# Compliance evidence: ${report.regime}`,
    '',
    "What the signed audit log shows for each control. A control marked **found** has the evidence a log can give; this is not a statement of compliance, which also rests on what a log cannot show (see each control's limits).",
    '',
    `- as of: ${report.asOf}`,
    `- records read: ${log.records} (${log.events} events, ${log.checkpoints} checkpoints)`,
    `- period: ${log.from ?? '-'} to ${log.to ?? '-'}`,
    `- root: ${log.root ?? '(the log did not verify in full)'}`,
    `- files: ${log.files.length}`,
  ];
  for (const f of log.files) {
    out.push(
      f.firstSeq === undefined
        ? `  - ${md(f.name)}: no record read`
        : `  - ${md(f.name)}: seq ${f.firstSeq}-${f.lastSeq}, ${f.from} to ${f.to}`,
    );
  }
  out.push('', '| control | status | title |', '| --- | --- | --- |');
  for (const c of report.controls) out.push(`| ${c.id} | ${c.status} | ${md(c.title)} |`);
  for (const c of report.controls) {
    out.push('', `## ${c.id}: ${md(c.title)}`, '', `Status: **${c.status}**`, '', 'Measured:', '');
    for (const [key, value] of Object.entries(c.measured)) out.push(`- ${md(key)}: ${md(String(value))}`);
    out.push('', 'Findings:', '');
    for (const f of c.findings) out.push(findingLine(f));
    out.push('', 'Limits:', '');
    for (const l of c.limits) out.push(`- ${md(l)}`);
  }
  return `${out.join('\n')}\n`;
}
