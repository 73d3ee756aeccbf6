/**
 * The cost of an assessment against a baseline measured in the same run: reading the same log's lines as JSON
 * (`JSON.parse` of each line, the least any reader of the log pays). An assessment adds the tiers, the checks, the
 * log summary and the findings; the plan and the SARIF output are measured beside it.
 */
import { loadavg } from 'node:os';
import type { BenchResult } from '../../../.config/bench-kit.js';
import { measure } from '../../../.config/bench-kit.js';
import { assess, formatReport, type LogRecord, parseDeployment, planRollout } from '../src/index.js';

const TOOLS = 60;
const CALLS = 5_000;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const TAGS = [['read'], ['write'], ['payment'], ['delete'], ['external'], []] as const;

function deployment() {
  const tools = Array.from({ length: TOOLS }, (_, i) => ({
    name: `tool_${i}`,
    tags: [...(TAGS[i % TAGS.length] ?? [])],
    ...(i % 7 === 0 ? { labels: ['reads:pii'] } : {}),
    pinned: i % 5 !== 0,
  }));
  return parseDeployment({
    version: 1,
    name: 'bench',
    tools,
    policy: {
      version: 1,
      rules: [
        { id: 'allow-reads', effect: 'allow', tools: ['tool_*'], agents: ['billing'] },
        { id: 'approve-pay', effect: 'require_approval', tools: ['tool_2', 'tool_8'] },
      ],
    },
    agents: [{ name: 'billing', key: 'local-key' }],
    mode: { value: 'monitor', since: new Date(NOW - 30 * 86_400_000).toISOString() },
  });
}

function records(): LogRecord[] {
  const out: LogRecord[] = [];
  const agent = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
  for (let i = 0; i < CALLS; i++) {
    const tool = `tool_${i % TOOLS}`;
    const ts = new Date(NOW - 86_400_000 + i * 1000).toISOString();
    const decision = { effect: 'allow', ruleId: 'allow-reads', reason: 'r', matched: [], mode: 'monitor' };
    out.push({
      seq: out.length,
      type: 'call.requested',
      ts,
      callId: `c${i}`,
      agent,
      tool,
      data: { agentName: 'billing', args: { path: `/data/${i}` } },
    });
    out.push({
      seq: out.length,
      type: 'call.completed',
      ts,
      callId: `c${i}`,
      agent,
      tool,
      data: { decision, durationMs: 1 },
    });
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const d = deployment();
  const log = records();
  const lines = log.map((r) => JSON.stringify(r));
  const load = loadavg()[0]?.toFixed(2);
  const baseline = `JSON.parse of the same ${log.length} log lines (baseline)`;
  const parseOps = await measure(() => lines.map((l) => JSON.parse(l) as unknown), 2000, 3);
  const withLog = await measure(() => assess(d, { log, nowMs: NOW }), 2000, 3);
  const alone = await measure(() => assess(d, { nowMs: NOW }), 2000, 3);
  const plan = await measure(() => planRollout(d, log, { agent: 'billing' }), 2000, 3);
  const report = assess(d, { log, nowMs: NOW });
  const sarif = await measure(() => formatReport(report, 'sarif'), 2000, 3);
  const findings = `${report.findings.length} findings`;
  return [
    { name: baseline, opsPerSec: parseOps, note: `load average ${load}` },
    {
      name: `assess, ${TOOLS} tools and ${log.length} log records`,
      opsPerSec: withLog,
      baseline,
      ratio: withLog / parseOps,
      note: `${findings}; ${(1000 / withLog).toFixed(1)} ms per assessment`,
    },
    { name: `assess, ${TOOLS} tools, no log`, opsPerSec: alone, baseline, ratio: alone / parseOps },
    { name: `rollout plan from ${log.length} log records`, opsPerSec: plan, baseline, ratio: plan / parseOps },
    { name: 'SARIF output of the report', opsPerSec: sarif, baseline, ratio: sarif / parseOps },
  ];
}
