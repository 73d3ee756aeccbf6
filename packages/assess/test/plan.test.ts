import { describe, expect, it } from 'vitest';
import { parseDeployment } from '../src/deployment.js';
import { formatPlan, planRollout } from '../src/plan.js';
import { type CallSpec, cleanDeployment, records } from './fixtures.js';

const deployment = parseDeployment(cleanDeployment());
const opts = { minCalls: 5, minApprovals: 3 };
const monitorCalls = (n: number, extra: Partial<CallSpec> = {}): CallSpec[] =>
  Array.from({ length: n }, () => ({ tool: 'list_files', tags: ['read'], mode: 'monitor' as const, ...extra }));
const enforcedReads = (n: number): CallSpec[] =>
  Array.from({ length: n }, () => ({ tool: 'list_files', tags: ['read'] }));
const approvals = (n: number, approval: 'granted' | 'refused' = 'granted'): CallSpec[] =>
  Array.from({ length: n }, () => ({ tool: 'pay', tags: ['payment'], effect: 'require_approval' as const, approval }));

function statuses(calls: CallSpec[]) {
  const [plan] = planRollout(deployment, records(calls), opts);
  return plan?.stages.map((s) => `${s.id}:${s.status}`);
}

describe('rollout plan stages follow from the log', () => {
  it('an agent with no log starts in monitor mode, read-only', () => {
    expect(statuses([])).toEqual([
      'monitor-read-only:current',
      'enforce-read-only:pending',
      'write-with-approval:pending',
      'lift-approvals:pending',
    ]);
  });

  it('enough monitor-mode calls move it to enforcing read-only, citing the would-deny records', () => {
    const calls = [...monitorCalls(4), { tool: 'pay', mode: 'monitor' as const, wouldDeny: true, tags: ['payment'] }];
    const [plan] = planRollout(deployment, records(calls), opts);
    expect(plan?.stages.map((s) => s.status)).toEqual(['done', 'current', 'pending', 'pending']);
    const first = plan?.stages[0];
    expect(first?.evidence.facts).toContain('1 would have been denied');
    // The would-deny call's request is the 9th record (4 calls of 2 records before it).
    expect(first?.evidence.records).toEqual([8]);
  });

  it('fewer monitor calls than required keep it in the first stage', () => {
    expect(statuses(monitorCalls(4))?.[0]).toBe('monitor-read-only:current');
  });

  it('a denied read-only call blocks enforcing read-only', () => {
    const calls = [
      ...monitorCalls(5),
      ...enforcedReads(5),
      { tool: 'list_files', tags: ['read'], effect: 'deny' as const },
    ];
    const [plan] = planRollout(deployment, records(calls), opts);
    expect(plan?.stages[1]?.status).toBe('current');
    expect(plan?.stages[1]?.evidence.facts).toContain('1 of them denied');
  });

  it('clean enforced reads move it to write tools with approval', () => {
    expect(statuses([...monitorCalls(5), ...enforcedReads(5)])?.[2]).toBe('write-with-approval:current');
  });

  it('approvals always granted make the tool one to lift; a refusal keeps it', () => {
    const base = [...monitorCalls(5), ...enforcedReads(5)];
    const granted = planRollout(deployment, records([...base, ...approvals(3)]), opts)[0];
    expect(granted?.stages.map((s) => s.status)).toEqual(['done', 'done', 'done', 'current']);
    expect(granted?.stages[3]?.tools).toEqual(['pay']);
    const refused = planRollout(deployment, records([...base, ...approvals(2), ...approvals(1, 'refused')]), opts)[0];
    expect(refused?.stages[3]?.tools).toEqual([]);
    expect(refused?.stages[3]?.evidence.facts).toContain('keep approval (some refused): pay');
  });

  it('the write stage lists the tools that are not read-only', () => {
    const [plan] = planRollout(deployment, records([]), opts);
    expect(plan?.stages[0]?.tools).toEqual(['crm_lookup', 'list_files']);
    expect(plan?.stages[2]?.tools).toEqual(['pay']);
  });

  it('formats as a table and Markdown, the same bytes each time', () => {
    const plan = planRollout(deployment, records(monitorCalls(5)), opts);
    expect(formatPlan(plan, 'table')).toBe(
      formatPlan(planRollout(deployment, records(monitorCalls(5)), opts), 'table'),
    );
    expect(formatPlan(plan, 'markdown')).toContain('## Rollout of billing (tier high)');
  });

  it('refuses an agent the deployment does not have', () => {
    expect(() => planRollout(deployment, [], { agent: 'nobody' })).toThrow(RangeError);
  });
});
