import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'work', effect: 'allow', tools: ['work'] }],
  limits: [{ id: 'one-at-a-time', tools: ['work'], concurrency: 1 }],
};

function setup() {
  const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink: createMemorySink() }) });
  const gates: Array<() => void> = [];
  let running = 0;
  let most = 0;
  const work = ag.guard({
    name: 'work',
    schema: z.object({ n: z.number() }),
    execute: async ({ n }) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return n;
    },
  });
  return { work, gates, most: () => most };
}

describe('concurrency caps', () => {
  it('hold for runs that resume a decision kept by check() (an approval step)', async () => {
    const { work, gates, most } = setup();
    for (let i = 0; i < 5; i++) await work.check({ n: i }, { callId: `c${i}` });
    let done = 0;
    const runs = Array.from({ length: 5 }, (_, i) =>
      work.safeRun({ n: i }, { callId: `c${i}` }).then((outcome) => {
        done++;
        return outcome;
      }),
    );
    // Four are refused at once; the one that holds the slot waits on its gate.
    await expect.poll(() => done).toBe(4);
    await expect.poll(() => gates.length).toBe(1);
    gates[0]?.();
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.map((o) => (o.ok ? '' : o.denial.code))).toEqual(Array(4).fill('ERR_GUARD_POLICY_DENIED'));
    expect(most()).toBe(1);
  });

  it('give the slot back when a resumed run ends, so the next call can run', async () => {
    const { work, gates } = setup();
    await work.check({ n: 1 }, { callId: 'a' });
    const first = work({ n: 1 }, { callId: 'a' });
    await expect.poll(() => gates.length).toBe(1);
    gates[0]?.();
    await expect(first).resolves.toBe(1);
    const second = work({ n: 2 }, { callId: 'b' });
    await expect.poll(() => gates.length).toBe(2);
    gates[1]?.();
    await expect(second).resolves.toBe(2);
  });
});
