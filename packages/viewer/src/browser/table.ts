import type { CallView, Timeline } from '../timeline.js';
import { byId, h, shortDid } from './dom.js';

/** What the filter bar holds. */
export interface Filters {
  readonly agent: string;
  readonly tool: string;
  readonly outcome: string;
  /** Epoch milliseconds, or NaN for no bound. */
  readonly from: number;
  readonly to: number;
  readonly search: string;
}

/** Rows drawn at most, so a 100,000-record log stays responsive; filters narrow the rest. */
const MAX_ROWS = 500;

/** Whether a call passes the filters. */
export function matches(call: CallView, f: Filters): boolean {
  if (f.agent !== '' && call.agent !== f.agent) return false;
  if (f.tool !== '' && call.tool !== f.tool) return false;
  if (f.outcome === '!verified' ? call.status === 'verified' : f.outcome !== '' && call.outcome !== f.outcome) {
    return false;
  }
  const t = Date.parse(call.ts);
  if (!Number.isNaN(f.from) && !(t >= f.from)) return false;
  if (!Number.isNaN(f.to) && !(t <= f.to)) return false;
  if (f.search !== '') {
    const hay = [call.tool, call.callId, call.args, call.reason, call.rule, call.agentName, call.approver, call.session]
      .filter((x) => x !== undefined)
      .join('\n')
      .toLowerCase();
    if (!hay.includes(f.search.toLowerCase())) return false;
  }
  return true;
}

/** Fills the agent and tool selects from the timeline. */
export function fillFilterOptions(timeline: Timeline): void {
  const agent = byId<HTMLSelectElement>('f-agent');
  agent.replaceChildren(
    h('option', { value: '' }, 'all agents'),
    ...timeline.agents.map((a) => h('option', { value: a.id }, `${a.name ?? shortDid(a.id)} (${a.calls})`)),
  );
  const tool = byId<HTMLSelectElement>('f-tool');
  tool.replaceChildren(
    h('option', { value: '' }, 'all tools'),
    ...timeline.tools.map((t) => h('option', { value: t }, t)),
  );
  byId('filters').hidden = false;
}

const pill = (prefix: string, value: string | undefined) =>
  value === undefined ? '' : h('span', { class: `pill ${prefix}-${value}` }, value);

function row(call: CallView, onPick: (call: CallView) => void): HTMLTableRowElement {
  const approval =
    call.approval === undefined
      ? ''
      : `${call.approval}${call.approver === undefined ? '' : ` by ${shortDid(call.approver)}`}`;
  const tr = h(
    'tr',
    {
      'data-line': call.lines.join(' '),
      'data-status': call.status,
      class: call.status === 'verified' ? undefined : call.status,
    },
    h('td', {}, call.ts.replace('T', ' ').replace('Z', '')),
    h('td', {}, call.session ?? ''),
    h('td', {}, call.tool),
    h('td', { class: 'args' }, call.args ?? ''),
    h('td', {}, pill('d', call.decision), call.rule === undefined ? '' : ` ${call.rule}`),
    h('td', {}, approval),
    h(
      'td',
      {},
      pill('o', call.outcome),
      call.outcome === 'completed' || call.reason === undefined ? '' : ` ${call.reason}`,
    ),
    h('td', {}, call.durationMs === undefined ? '' : `${call.durationMs.toFixed(1)} ms`),
    h('td', {}, pill('s', call.status), ` ${call.lines.join(', ')}`),
  );
  tr.addEventListener('click', () => onPick(call));
  return tr;
}

const HEAD = [
  'time (UTC)',
  'session',
  'tool',
  'arguments (redacted)',
  'decision · rule',
  'approval',
  'outcome',
  'duration',
  'lines',
];

/**
 * Draws the calls that pass the filters as one timeline per agent (in log order), at most
 * {@link MAX_ROWS} rows; the marked row is always drawn when it passes the filters.
 */
export function showTimeline(timeline: Timeline, f: Filters, onPick: (call: CallView) => void): void {
  const shown = timeline.calls.filter((c) => matches(c, f));
  const bad = shown.filter((c) => c.status === 'bad');
  const first = shown.slice(0, MAX_ROWS);
  const drawn = first.concat(bad.filter((c) => !first.includes(c)));
  const byAgent = new Map<string, CallView[]>();
  for (const call of drawn) byAgent.set(call.agent, [...(byAgent.get(call.agent) ?? []), call]);
  const el = byId('timeline');
  el.replaceChildren();
  for (const [agent, calls] of byAgent) {
    const name = calls.find((c) => c.agentName !== undefined)?.agentName;
    el.append(h('h3', { class: 'agent', title: agent }, name ?? 'agent', ' ', h('small', {}, agent)));
    el.append(
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...HEAD.map((t) => h('th', {}, t)))),
        h('tbody', {}, ...calls.map((c) => row(c, onPick))),
      ),
    );
  }
  if (shown.length > drawn.length) {
    el.append(
      h('p', { class: 'more' }, `showing ${drawn.length} of ${shown.length} calls: narrow the filters to see the rest`),
    );
  }
  byId('count').textContent = `${shown.length} of ${timeline.calls.length} calls`;
}
