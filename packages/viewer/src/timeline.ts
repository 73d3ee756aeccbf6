import type { LogReport } from '@agentguard/audit';

/**
 * Where a line stands after verification: checked and intact, the first bad one, or after the first bad
 * one (never checked: nothing after a break can be trusted).
 */
export type LineStatus = 'verified' | 'bad' | 'unverified';

/** How a call ended, as its records tell it; `pending` when no final record was written (yet). */
export type CallOutcome = 'completed' | 'failed' | 'denied' | 'invalid' | 'pending';

/** One tool call, gathered from the records that share its `callId`. Display only: never used to decide. */
export interface CallView {
  readonly callId: string;
  readonly agent: string;
  /** The agent's name as the guard recorded it, if it did. */
  readonly agentName: string | undefined;
  /** A session id, when the records carry one (`data.session` or `data.sessionId`). */
  readonly session: string | undefined;
  readonly tool: string;
  /** `ts` of the call's first record. */
  readonly ts: string;
  /** 1-based lines of the call's records, in log order. */
  readonly lines: readonly number[];
  /** The arguments as recorded (already redacted by the guard before they were written), as JSON text. */
  readonly args: string | undefined;
  /** The policy's effect (`allow`, `deny`, `require_approval`…) and the rule that decided. */
  readonly decision: string | undefined;
  readonly rule: string | undefined;
  /** Why it was refused or failed, as recorded. */
  readonly reason: string | undefined;
  readonly approval: 'requested' | 'granted' | 'refused' | undefined;
  readonly approver: string | undefined;
  readonly outcome: CallOutcome;
  readonly durationMs: number | undefined;
  /** The worst status of its lines. */
  readonly status: LineStatus;
}

/** A record that is not part of a call's story but needs a reader's eye: gaps, recoveries, mode changes. */
export interface AlertView {
  readonly line: number;
  readonly ts: string;
  readonly type: string;
  readonly text: string;
  readonly status: LineStatus;
}

/** Everything the page shows besides the verdict. */
export interface Timeline {
  readonly calls: readonly CallView[];
  readonly alerts: readonly AlertView[];
  /** Lines in the log (without a torn last line). */
  readonly lines: number;
  /** Distinct agents and tools, for the filters. */
  readonly agents: readonly { readonly id: string; readonly name: string | undefined; readonly calls: number }[];
  readonly tools: readonly string[];
}

const EMPTY = {
  agentName: undefined,
  session: undefined,
  args: undefined,
  decision: undefined,
  rule: undefined,
  reason: undefined,
  approval: undefined,
  approver: undefined,
  durationMs: undefined,
} as const;
const ALERT_TYPES = new Set([
  'gap',
  'log.recovered',
  'mode.changed',
  'monitor.alert',
  'monitor.suspended',
  'monitor.resumed',
  'egress.refused',
  'control.status',
  'control.rejected',
  'subject.erased',
  'assessment',
]);
/** Records of the guard or the log, not of a call: never shown as a call (an attestation is an alert when it found changes). */
const EVENT_TYPES = new Set([...ALERT_TYPES, 'attestation']);
const RANK: Record<LineStatus, number> = { verified: 0, unverified: 1, bad: 2 };

/**
 * The status of 1-based line `line` under `report`: after a failure at line L, L is bad and every later
 * line unverified; a failure at line 0 (the external checkpoint) leaves every line unverified.
 *
 * @param report - the verdict of `verifyLog`.
 * @param line - a 1-based line number.
 * @returns its {@link LineStatus}.
 */
export function lineStatus(report: LogReport, line: number): LineStatus {
  if (report.ok) return 'verified';
  if (report.line === 0) return 'unverified';
  // Only the records the report counts as verified: a batched record before the bad line that no checkpoint
  // covered is not, though it comes before it.
  if (line <= report.records && line < report.line) return 'verified';
  return line === report.line ? 'bad' : 'unverified';
}

interface Draft {
  callId: string;
  agent: string;
  agentName: string | undefined;
  session: string | undefined;
  tool: string;
  ts: string;
  lines: number[];
  args: string | undefined;
  decision: string | undefined;
  rule: string | undefined;
  reason: string | undefined;
  approval: CallView['approval'];
  approver: string | undefined;
  outcome: CallOutcome;
  durationMs: number | undefined;
  status: LineStatus;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const OUTCOMES: Record<string, CallOutcome> = {
  'call.completed': 'completed',
  'call.failed': 'failed',
  'call.denied': 'denied',
  'call.invalid': 'invalid',
};

/** `error` as the guard records it: `{ code, message }` (message already redacted), or a string. */
function errorText(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  if (!isObj(error)) return undefined;
  const message = str(error.message);
  const code = str(error.code);
  return message === undefined ? code : code === undefined ? message : `${code}: ${message}`;
}

function absorb(call: Draft, type: string, data: Obj): void {
  call.agentName ??= str(data.agentName);
  call.session ??= str(data.session) ?? str(data.sessionId);
  if (data.args !== undefined && call.args === undefined) call.args = JSON.stringify(data.args);
  const decision = data.decision;
  if (isObj(decision)) {
    call.decision = str(decision.effect) ?? call.decision;
    call.rule = str(decision.ruleId) ?? call.rule;
    call.reason = str(decision.reason) ?? call.reason;
  }
  if (typeof data.durationMs === 'number') call.durationMs = data.durationMs;
  const outcome = OUTCOMES[type];
  if (outcome !== undefined) {
    call.outcome = outcome;
    if (outcome !== 'completed') call.reason = str(data.reason) ?? errorText(data.error) ?? call.reason;
  }
  if (type === 'approval.requested') call.approval ??= 'requested';
  if (type === 'approval.granted' || type === 'approval.refused') {
    call.approval = type === 'approval.granted' ? 'granted' : 'refused';
    call.approver = str(data.approver) ?? call.approver;
  }
  // A refused approval is the call's last record: the guard writes it instead of call.denied.
  if (type === 'approval.refused') {
    call.outcome = 'denied';
    call.reason = str(data.reason) ?? call.reason;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const suffix = (v: string | undefined, sep = ': ') => (v === undefined ? '' : `${sep}${v}`);

/** One line of text for an alert record, from its own fields (each read defensively: the log is untrusted). */
function alertText(type: string, data: Obj): string {
  switch (type) {
    case 'gap':
      return `gap: ${typeof data.missed === 'number' ? `${data.missed} record(s) lost` : 'records lost'}`;
    case 'mode.changed': {
      const from = isObj(data.from) ? str(data.from.mode) : undefined;
      const to = isObj(data.to) ? str(data.to.mode) : undefined;
      return `mode changed${suffix(from, ' from ')}${suffix(to, ' to ')}`;
    }
    case 'log.recovered': {
      const line = isObj(data.torn) ? num(data.torn.line) : undefined;
      const moved = isObj(data.uncovered) ? num(data.uncovered.records) : undefined;
      const parts = [
        ...(line === undefined ? [] : [`torn line ${line} set aside`]),
        ...(moved === undefined ? [] : [`${moved} record(s) no checkpoint covered set aside`]),
      ];
      return `log recovered${parts.length === 0 ? '' : `: ${parts.join('; ')}`}`;
    }
    case 'monitor.alert': {
      if (str(data.status) === 'failed') return `monitor failed${suffix(str(data.reason))}`;
      const features = list(data.alerts)
        .map((a) => (isObj(a) ? str(a.feature) : undefined))
        .filter((f): f is string => f !== undefined);
      return `monitor alert${features.length === 0 ? '' : `: ${[...new Set(features)].join(', ')}`}`;
    }
    case 'monitor.suspended':
      return `agent suspended by the monitor policy${suffix(str(data.ruleId), ' (rule ')}${str(data.ruleId) === undefined ? '' : ')'}${suffix(str(data.reason))}`;
    case 'monitor.resumed':
      return `agent resumed${suffix(str(data.by), ' by ')}${suffix(str(data.reason))}`;
    case 'egress.refused': {
      const e = isObj(data.egress) ? data.egress : {};
      const port = num(e.port);
      return `egress refused${suffix(str(e.host), ': ')}${port === undefined ? '' : `:${port}`}${suffix(str(e.reason), ' (')}${str(e.reason) === undefined ? '' : ')'}`;
    }
    case 'control.status': {
      const measures = list(data.measures).filter(isObj);
      const what = measures
        .map((m) => {
          const scope = isObj(m.scope) ? m.scope : {};
          return `${str(m.kind) ?? '?'} ${str(scope.kind) ?? '?'}${suffix(str(scope.value), ':')}`;
        })
        .join(', ');
      return `control status ${num(data.seq) ?? '?'}: ${what === '' ? 'everything resumed' : what}`;
    }
    case 'control.rejected': {
      const suppressed = num(data.suppressed);
      return `control status refused${suffix(str(data.code))}${suffix(str(data.reason), ' (')}${str(data.reason) === undefined ? '' : ')'}${suppressed ? ` (+${suppressed} not written)` : ''}`;
    }
    case 'subject.erased':
      return `data subject erased (${list(data.keyIds).length} key(s) destroyed)`;
    case 'assessment':
      return `security assessment: worst finding ${str(data.worst) ?? 'unknown'}`;
    case 'attestation':
      return `attestation: ${list(data.changes).length} change(s) against the pins`;
    default:
      return type;
  }
}

/**
 * Gathers a log's records into calls (by `callId`) and alerts, each marked with the status its lines
 * have under `report`. This is presentation only: the verdict is `report`, from `verifyLog`; lines are
 * read here with plain `JSON.parse`, and a line that does not parse is skipped (it is already the bad
 * line, or after it). The page builds it in a second worker while the first verifies, then marks it
 * with {@link markTimeline}.
 *
 * @param text - the log as JSON Lines, exactly as verified.
 * @param report - the verdict `verifyLog` gave for `text`; without it every line is `unverified`.
 * @returns a {@link Timeline}.
 * @example
 * ```ts
 * const report = verifyLog(text, { trust });
 * const { calls, alerts } = buildTimeline(text, report);
 * ```
 */
export function buildTimeline(text: string, report?: LogReport): Timeline {
  const calls = new Map<string, Draft>();
  const alerts: AlertView[] = [];
  const agents = new Map<string, { id: string; name: string | undefined; calls: number }>();
  const tools = new Set<string>();
  const rows = text.split('\n');
  if (rows.at(-1) === '') rows.pop();
  for (const [i, row] of rows.entries()) {
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch {
      continue;
    }
    if (!isObj(value)) continue;
    const type = str(value.type) ?? '';
    const ts = str(value.ts) ?? '';
    const data = isObj(value.data) ? value.data : {};
    const status = report === undefined ? 'unverified' : lineStatus(report, line);
    const alerting = ALERT_TYPES.has(type) || (type === 'attestation' && list(data.changes).length > 0);
    if (alerting) alerts.push({ line, ts, type, text: alertText(type, data), status });
    const callId = str(value.callId);
    const agent = str(value.agent);
    const tool = str(value.tool);
    if (callId === undefined || agent === undefined || tool === undefined || EVENT_TYPES.has(type)) continue;
    const key = `${agent}\n${callId}`;
    let call = calls.get(key);
    if (call === undefined) {
      call = { callId, agent, tool, ts, lines: [], outcome: 'pending', status: 'verified', ...EMPTY };
      calls.set(key, call);
      tools.add(tool);
      const a = agents.get(agent) ?? { id: agent, name: undefined, calls: 0 };
      a.calls += 1;
      agents.set(agent, a);
    }
    call.lines.push(line);
    if (RANK[status] > RANK[call.status]) call.status = status;
    absorb(call, type, data);
    const a = agents.get(agent);
    if (a !== undefined) a.name ??= call.agentName;
  }
  return {
    calls: [...calls.values()],
    alerts,
    lines: rows.length,
    agents: [...agents.values()],
    tools: [...tools].sort(),
  };
}

/**
 * Marks a timeline built before its verdict was known with the status each line has under `report`.
 *
 * @param timeline - from {@link buildTimeline}.
 * @param report - the verdict of `verifyLog` on the same text.
 * @returns a new timeline; `timeline` is not changed.
 */
export function markTimeline(timeline: Timeline, report: LogReport): Timeline {
  const worst = (lines: readonly number[]): LineStatus =>
    lines.reduce<LineStatus>((acc, l) => {
      const s = lineStatus(report, l);
      return RANK[s] > RANK[acc] ? s : acc;
    }, 'verified');
  return {
    ...timeline,
    calls: timeline.calls.map((c) => ({ ...c, status: worst(c.lines) })),
    alerts: timeline.alerts.map((a) => ({ ...a, status: lineStatus(report, a.line) })),
  };
}
