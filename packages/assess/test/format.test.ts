import { describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../src/catalogue.js';
import { parseDeployment, parseDeploymentText } from '../src/deployment.js';
import { AssessError } from '../src/errors.js';
import { formatReport, REPORT_FORMATS, reportDigest } from '../src/format.js';
import { assess, exitCodeOf } from '../src/report.js';
import { cleanCalls, cleanDeployment, NOW, records } from './fixtures.js';
import { formatPlan } from '../src/plan.js';

function noisy() {
  const d = cleanDeployment();
  (d.agents[0] as { key: string }).key = 'env';
  d.tools.push({ name: 'evil\u001b[31m|`x`', tags: ['payment'], pinned: false });
  delete (d.policy.rules[0] as Record<string, unknown>).when;
  return d;
}

describe('report formats', () => {
  it.each(REPORT_FORMATS)('%s: the same input gives the same bytes', (format) => {
    const a = formatReport(assess(parseDeployment(noisy()), { log: records(cleanCalls()), nowMs: NOW }), format);
    const b = formatReport(assess(parseDeployment(noisy()), { log: records(cleanCalls()), nowMs: NOW }), format);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(100);
  });

  it.each(['table', 'markdown'] as const)(
    '%s: no control character from the deployment reaches the output',
    (format) => {
      const text = formatReport(assess(parseDeployment(noisy()), { nowMs: NOW }), format);
      expect(text.includes(String.fromCharCode(27))).toBe(false);
      if (format === 'markdown') expect(text).toContain('evil?\\[31m\\|\\`x\\`');
    },
  );

  it('the digest is of the JSON bytes and changes with a finding', () => {
    const clean = assess(parseDeployment(cleanDeployment()), { nowMs: NOW });
    const dirty = assess(parseDeployment(noisy()), { nowMs: NOW });
    expect(reportDigest(clean)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(reportDigest(clean)).toBe(reportDigest(assess(parseDeployment(cleanDeployment()), { nowMs: NOW })));
    expect(reportDigest(clean)).not.toBe(reportDigest(dirty));
  });

  // The SARIF npm package we know of (@types/sarif) carries TypeScript types, not the SARIF 2.1.0 JSON schema, so the
  // fields the schema requires (and that GitHub code scanning reads) are asserted here.
  it('sarif: a SARIF 2.1.0 log with the required fields', () => {
    const report = assess(parseDeployment(noisy()), { log: records(cleanCalls()), nowMs: NOW });
    const sarif = JSON.parse(formatReport(report, 'sarif', { artifactUri: 'deploy/agentguard.json' }));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.runs).toHaveLength(1);
    const run = sarif.runs[0];
    expect(typeof run.tool.driver.name).toBe('string');
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(ruleIds).toEqual(Object.keys(FINDING_RULES).sort());
    for (const r of run.tool.driver.rules) {
      expect(r.shortDescription.text.length).toBeGreaterThan(0);
      expect(r.fullDescription.text.length).toBeGreaterThan(0);
    }
    expect(run.results).toHaveLength(report.findings.length);
    for (const result of run.results) {
      expect(typeof result.message.text).toBe('string');
      expect(['error', 'warning', 'note', 'none']).toContain(result.level);
      expect(ruleIds[result.ruleIndex]).toBe(result.ruleId);
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('deploy/agentguard.json');
      expect(result.properties['security-severity']).toMatch(/^\d+\.\d$/);
    }
  });
});

describe('exit codes', () => {
  it.each<[string, number]>([
    ['low', 5],
    ['high', 5],
    ['critical', 0],
  ])('--fail-on %s', (failOn, code) => {
    const report = assess(parseDeployment(noisy()), { nowMs: NOW });
    expect(report.summary.worst).toBe('high');
    expect(exitCodeOf(report, failOn as 'low')).toBe(code);
  });
  it('is 0 with no findings', () => {
    expect(exitCodeOf(assess(parseDeployment(cleanDeployment()), { nowMs: NOW }))).toBe(0);
  });
  it('differs by worst severity', () => {
    const d = cleanDeployment();
    (d.tools[0] as Record<string, unknown>).pinned = false;
    expect(exitCodeOf(assess(parseDeployment(d), { nowMs: NOW }))).toBe(3);
    d.checkpoints = { enabled: false };
    expect(exitCodeOf(assess(parseDeployment(d), { nowMs: NOW }))).toBe(4);
  });
});

describe('bad input fails with a code, never a crash', () => {
  it.each<[string, string]>([
    ['not JSON', '{'],
    ['__proto__ key', '{"version":1,"__proto__":{}}'],
    ['duplicate key', '{"version":1,"version":1}'],
    ['too deep', `${'['.repeat(200)}${']'.repeat(200)}`],
    ['unknown field', JSON.stringify({ ...cleanDeployment(), extra: true })],
    ['a misspelt tool field', JSON.stringify({ ...cleanDeployment(), tools: [{ name: 't', taggs: [] }] })],
    ['a bad key kind', JSON.stringify({ ...cleanDeployment(), agents: [{ name: 'a', key: 'hsm' }] })],
    ['an invalid policy', JSON.stringify({ ...cleanDeployment(), policy: { version: 1, rules: [{ id: 'x' }] } })],
    ['a bad time', JSON.stringify({ ...cleanDeployment(), mode: { value: 'monitor', since: 'yesterday' } })],
    ['duplicate tools', JSON.stringify({ ...cleanDeployment(), tools: [{ name: 't' }, { name: 't' }] })],
  ])('%s', (_name, text) => {
    let error: unknown;
    try {
      parseDeploymentText(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AssessError);
    expect((error as AssessError).code).toBe('ERR_ASSESS_DEPLOYMENT_INVALID');
  });

  it.each<[string, unknown]>([
    ['a record without seq', [{ type: 'call.requested', ts: 't', callId: 'c', agent: 'a', tool: 't' }]],
    ['a record that is not an object', [null]],
    ['a record without a tool', [{ seq: 0, type: 'call.requested', ts: 't', callId: 'c', agent: 'a' }]],
  ])('log: %s', (_name, log) => {
    expect(() => assess(parseDeployment(cleanDeployment()), { log: log as never, nowMs: NOW })).toThrow(
      expect.objectContaining({ code: 'ERR_ASSESS_LOG_INVALID' }),
    );
  });

  it('a previous report of another shape', () => {
    expect(() =>
      assess(parseDeployment(cleanDeployment()), { log: [], previous: { version: 2 } as never, nowMs: NOW }),
    ).toThrow(expect.objectContaining({ code: 'ERR_ASSESS_PREVIOUS_INVALID' }));
  });
});

describe('plan text from the deployment and the log', () => {
  it('escapes Markdown and drops bidi and control characters in a plan', () => {
    const plan = [
      {
        agent: '![x](http://tracker.invalid/p)\u202Eevil',
        tier: 'low' as const,
        stages: [
          {
            status: 'current' as const,
            title: 'read-only, monitor mode',
            tools: ['[click](https://evil.invalid)'],
            evidence: { facts: ['<img src=x onerror=alert(1)>\u0007'], records: [] },
            moveOn: 'never',
          },
        ],
      },
    ];
    const md = formatPlan(plan as never, 'markdown');
    expect(md).not.toContain('![x](');
    expect(md).not.toContain('[click](');
    expect(md).not.toMatch(/(^|[^\\])<img/m);
    for (const bad of ['\u202E', '\u0007']) expect(md.includes(bad)).toBe(false);
    const table = formatPlan(plan as never, 'table');
    for (const bad of ['\u202E', '\u0007']) expect(table.includes(bad)).toBe(false);
  });
});
