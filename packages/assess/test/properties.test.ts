import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDeployment } from '../src/deployment.js';
import { AssessError } from '../src/errors.js';
import { formatReport } from '../src/format.js';
import { assess } from '../src/report.js';
import { cleanCalls, cleanDeployment, NOW, records } from './fixtures.js';

function noisy() {
  const d = cleanDeployment();
  d.tools.push({ name: 'orphan', tags: ['payment'] }, { name: 'export', labels: ['reads:pii', 'egress'] });
  d.agents.push({ name: 'helper', key: 'env', tools: ['export'] }, { name: 'temp', key: 'ephemeral' });
  delete (d.policy.rules[0] as Record<string, unknown>).when;
  return d;
}

describe('properties', () => {
  it('the order tools and agents are declared in does not change a byte of the report', () => {
    const expected = formatReport(assess(parseDeployment(noisy()), { log: records(cleanCalls()), nowMs: NOW }), 'json');
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), (keys) => {
        const d = noisy();
        const order = <T>(list: T[], offset: number) =>
          list
            .map((x, i) => [x, keys[(i + offset) % keys.length] ?? 0] as const)
            .sort((a, b) => a[1] - b[1])
            .map(([x]) => x);
        d.tools = order(d.tools, 0);
        d.agents = order(d.agents, 3);
        const report = assess(parseDeployment(d), { log: records(cleanCalls()), nowMs: NOW });
        expect(formatReport(report, 'json')).toBe(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('any JSON value is either a deployment or refused with ERR_ASSESS_DEPLOYMENT_INVALID', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.record({ version: fc.constant(1), name: fc.string(), tools: fc.jsonValue() })),
        (value) => {
          try {
            parseDeployment(value);
          } catch (error) {
            expect(error).toBeInstanceOf(AssessError);
            expect((error as AssessError).code).toBe('ERR_ASSESS_DEPLOYMENT_INVALID');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
