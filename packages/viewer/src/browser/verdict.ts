import type { LogReport } from '@agentguard/audit';
import type { AlertView } from '../timeline.js';
import { byId, h } from './dom.js';

/**
 * Shows `verifyLog`'s report as it is: the same verdict, line, code and reason `agentguard verify`
 * prints. The section carries them as data attributes too (`data-ok`, `data-line`, `data-code`).
 */
export function showVerdict(report: LogReport, ms: number, badLine: string): void {
  const el = byId('verdict');
  el.hidden = false;
  el.replaceChildren();
  el.className = `panel ${report.ok ? 'ok' : 'fail'}`;
  el.dataset.ok = String(report.ok);
  const rows: [string, string][] = [];
  // As `agentguard verify`: a log with no events (empty, or checkpoints alone) proves nothing, so no verdict.
  if (report.ok && report.events === 0) {
    delete el.dataset.line;
    delete el.dataset.code;
    el.className = 'panel fail';
    el.dataset.ok = 'empty';
    el.append(h('h2', {}, 'No verdict: the log holds no events'));
    el.append(
      h(
        'p',
        { class: 'reason' },
        `${report.records} record(s), ${report.checkpoints} checkpoint(s): nothing was verified.`,
      ),
    );
    return;
  }
  if (report.ok) {
    delete el.dataset.line;
    delete el.dataset.code;
    el.append(h('h2', {}, `Verified: ${report.records} record(s); chain, hashes and signatures intact`));
    if (!report.anchored) {
      el.append(
        h(
          'p',
          { class: 'warn' },
          'NOT ANCHORED: no trusted key given, so the log is consistent but not tied to a key you trust.',
        ),
      );
    } else el.append(h('p', {}, 'Anchored: every record is signed by a trusted key.'));
    rows.push(['tree', `${report.records} leaves, root ${report.root}`]);
    rows.push([
      'checkpoints',
      `${report.checkpoints} verified${report.sealed ? ', sealed by a final checkpoint' : ', not sealed'}`,
    ]);
    if (report.extends !== undefined)
      rows.push(['witness', `extends the external checkpoint of size ${report.extends}`]);
    rows.push(['signers', report.signers.join(', ') || '(none)']);
  } else {
    el.dataset.line = String(report.line);
    el.dataset.code = report.code;
    el.append(h('h2', {}, `FAILED: ${report.code}`));
    el.append(h('p', { class: 'reason' }, report.reason));
    el.append(
      h(
        'p',
        {},
        report.line === 0
          ? 'The external checkpoint is the problem.'
          : `Line ${report.line} is the first bad record; the first ${report.records} record(s) verify. Everything after it is shown as unverified.`,
      ),
    );
    if (badLine !== '') {
      el.append(
        h('div', { class: 'badline', 'data-line': String(report.line) }, `line ${report.line}:`, h('pre', {}, badLine)),
      );
    }
  }
  rows.push(['checked in', `${(ms / 1000).toFixed(2)} s, in this browser`]);
  el.append(h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

/** Lists gaps, recoveries and mode changes. */
export function showAlerts(alerts: readonly AlertView[]): void {
  const el = byId('alerts');
  el.hidden = alerts.length === 0;
  el.replaceChildren(
    h('strong', {}, `Alerts and gaps (${alerts.length})`),
    h(
      'ul',
      {},
      ...alerts.slice(0, 200).map((a) => h('li', { class: `s-${a.status}` }, `line ${a.line} · ${a.ts} · ${a.text}`)),
    ),
  );
}
