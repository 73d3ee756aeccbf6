/**
 * The page: opens a log (file picker, drag and drop, or the log `serveViewer` serves beside the page),
 * hands its bytes to the verifier worker, and shows the verdict, alerts and the calls. It decides
 * nothing itself: the verdict is `verifyLog`'s, computed in the worker.
 */
import type { LogReport } from '@agentguard/audit';
import { type CallView, markTimeline, type Timeline } from '../timeline.js';
import { byId, h } from './dom.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { type Filters, fillFilterOptions, showTimeline } from './table.js';
import { showAlerts, showVerdict } from './verdict.js';

declare const __AGENTGUARD_WORKER__: string;

/** Two workers: one verifies, the other reads the records for display at the same time (2 cores, 2 jobs). */
let verifier: Worker | undefined;
let reader: Worker | undefined;
let source: Blob | undefined;
let timeline: Timeline | undefined;
let pending: { report?: LogReport; unmarked?: Timeline } = {};

function setState(state: 'idle' | 'verifying' | 'done' | 'error'): void {
  document.body.dataset.state = state;
}

let workerUrl: string | undefined;

function startWorker(): Worker {
  // From file:// Chromium will not start a worker from a separate file; a blob: URL of inlined code works everywhere.
  workerUrl ??= URL.createObjectURL(new Blob([__AGENTGUARD_WORKER__], { type: 'text/javascript' }));
  const w = new Worker(workerUrl);
  w.onmessage = (event: MessageEvent<FromWorker>) => onWorker(event.data);
  w.onerror = (event) => fail(`the verifier stopped: ${event.message}`);
  return w;
}

function post(message: ToWorker): void {
  verifier ??= startWorker();
  verifier.postMessage(message);
}

/** A new log: stop whatever the workers were doing with the last one. */
function restartWorkers(): void {
  verifier?.terminate();
  reader?.terminate();
  verifier = startWorker();
  reader = startWorker();
  pending = {};
  timeline = undefined;
}

/** Once both the verdict and the records are in: mark every call with its lines' status and draw. */
function finish(): void {
  const { report, unmarked } = pending;
  if (report === undefined || unmarked === undefined) return;
  timeline = markTimeline(unmarked, report);
  showAlerts(timeline.alerts);
  fillFilterOptions(timeline);
  redraw();
  setState('done');
}

function fail(message: string): void {
  setState('error');
  const el = byId('verdict');
  el.hidden = false;
  el.className = 'panel fail';
  el.dataset.ok = 'error';
  el.replaceChildren(h('h2', {}, 'Could not verify'), h('p', { class: 'reason' }, message));
  byId('progress').hidden = true;
}

function filters(): Filters {
  const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id).value;
  // datetime-local has no zone: the times shown are UTC, so the bounds are read as UTC too.
  const time = (id: string) => (value(id) === '' ? Number.NaN : Date.parse(`${value(id)}Z`));
  return {
    agent: value('f-agent'),
    tool: value('f-tool'),
    outcome: value('f-outcome'),
    from: time('f-from'),
    to: time('f-to'),
    search: value('f-search').trim(),
  };
}

function redraw(): void {
  if (timeline !== undefined) showTimeline(timeline, filters(), pick);
}

function pick(call: CallView): void {
  const el = byId('detail');
  el.hidden = false;
  const line = call.lines[0];
  const prove = h('button', { type: 'button', id: 'prove' }, 'Prove inclusion in the checkpointed tree');
  prove.disabled = call.status !== 'verified' || line === undefined;
  prove.addEventListener('click', () => line !== undefined && post({ kind: 'prove', line }));
  el.replaceChildren(
    h('strong', {}, `${call.tool} · call ${call.callId}`),
    h('pre', {}, JSON.stringify(call, null, 2)),
    prove,
    h('p', { id: 'proof' }),
  );
  el.scrollIntoView({ block: 'nearest' });
}

function onWorker(message: FromWorker): void {
  if (message.kind === 'progress') {
    byId<HTMLProgressElement>('bar').value = message.total === 0 ? 1 : message.checked / message.total;
    byId('progress-text').textContent =
      `${message.checked.toLocaleString()} of ${message.total.toLocaleString()} lines checked`;
  } else if (message.kind === 'done') {
    byId('progress').hidden = true;
    // The report exactly as verifyLog gave it, for scripts and tests that read the page.
    document.body.dataset.report = JSON.stringify(message.report);
    showVerdict(message.report, message.ms, message.badLine);
    pending.report = message.report;
    finish();
  } else if (message.kind === 'timeline') {
    pending.unmarked = message.timeline;
    finish();
  } else if (message.kind === 'proof') {
    const r = message.result;
    byId('proof').textContent = r.ok ? `✔ ${r.reason}: ${r.hashes} hash(es), root ${r.root}` : `✘ ${r.reason}`;
  } else fail(message.message);
}

function verify(): void {
  if (source === undefined) return;
  setState('verifying');
  byId('progress').hidden = false;
  byId('verdict').hidden = true;
  byId('progress-text').textContent = 'verifying…';
  const trust = byId<HTMLTextAreaElement>('trust')
    .value.split(/\s+/)
    .filter((s) => s !== '');
  const checkpointKeys = byId<HTMLTextAreaElement>('log-keys')
    .value.split(/\s+/)
    .filter((s) => s !== '');
  const checkpoint = byId<HTMLTextAreaElement>('witness').value;
  restartWorkers();
  delete document.body.dataset.report;
  byId('timeline').replaceChildren();
  byId('alerts').hidden = true;
  reader?.postMessage({ kind: 'timeline', file: source } satisfies ToWorker);
  post({
    kind: 'verify',
    file: source,
    trust,
    ...(checkpointKeys.length === 0 ? {} : { checkpointKeys }),
    ...(checkpoint.trim() === '' ? {} : { checkpoint }),
  });
  byId<HTMLButtonElement>('verify').disabled = false;
}

function open(file: Blob): void {
  source = file;
  verify();
}

function wire(): void {
  const input = byId<HTMLInputElement>('file');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file !== undefined) open(file);
  });
  const witnessFile = byId<HTMLInputElement>('witness-file');
  witnessFile.addEventListener('change', async () => {
    const file = witnessFile.files?.[0];
    if (file !== undefined) byId<HTMLTextAreaElement>('witness').value = await file.text();
  });
  const drop = byId('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file !== undefined) open(file);
  });
  byId('verify').addEventListener('click', verify);
  for (const id of ['f-agent', 'f-tool', 'f-outcome', 'f-from', 'f-to']) byId(id).addEventListener('change', redraw);
  byId('f-search').addEventListener('input', redraw);
}

/** Served by `serveViewer`: the log (and a witness, and trusted keys) come from the same origin. */
async function loadServed(): Promise<void> {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return;
  const params = new URLSearchParams(location.search);
  byId<HTMLTextAreaElement>('trust').value = params.getAll('trust').join('\n');
  byId<HTMLTextAreaElement>('log-keys').value = params.getAll('logKey').join('\n');
  const witness = await fetch('witness.txt', { cache: 'no-store' });
  if (witness.ok) byId<HTMLTextAreaElement>('witness').value = await witness.text();
  const log = await fetch('log.jsonl', { cache: 'no-store' });
  if (log.ok) open(await log.blob());
}

setState('idle');
wire();
loadServed().catch((error: unknown) => fail(`could not load the served log: ${String(error)}`));
