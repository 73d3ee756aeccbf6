/**
 * What the monitor hook adds to a guarded call: the same tool, guard and policy with and without
 * `monitor: { detector }` (a detector on a profile padded to 10,000 entries), calls interleaved so
 * both see the same machine state. Reported: p50 per call of each, and their difference (the hook's
 * added cost: building the monitored call, score(), checking the verdict, handing it to the policy,
 * and observe() of the result), as the median of paired differences. Nothing is flagged, so no alert record is written.
 */
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { z } from 'zod';
import { type BenchResult, percentile } from '../../../.config/bench-kit.js';
import { createDetector, learnProfile } from '../src/index.js';
import type { PolicyDocument } from '@agentguard/policy';

export async function run(): Promise<BenchResult[]> {
  const identity = createIdentity({ name: 'bench-agent' });
  const calls = [
    { tool: 'search_contacts', args: { name: 'Ann' }, sideEffect: false, result: null },
    { tool: 'send_email', args: { to: 'ann@corp.example.com', body: 'hello' }, sideEffect: true, result: null },
  ];
  const profile = learnProfile([{ id: 's', agent: identity.id, calls }]);
  const agent = profile.agents[identity.id];
  if (agent === undefined) throw new Error('no agent profile');
  let entries = Object.keys(agent.tools).length;
  for (; entries < 10_000; entries++) agent.environment.email.push(`contact${entries}@pad.example.com`);
  const detector = createDetector(profile);
  const policy: PolicyDocument = { version: 1, rules: [{ id: 'send', effect: 'allow', tools: ['send_email'] }] };
  // Batched signing and a memory sink: the cheapest call the guard can make, so the hook's share shows.
  const make = (monitored: boolean) => {
    const ag = createGuard({
      identity,
      policy,
      audit: createAuditLog({
        sink: createMemorySink(),
        checkpoint: { signer: identity, everyRecords: 0, everyMs: 0 },
      }),
      ...(monitored ? { monitor: { detector } } : {}),
    });
    return ag.guard({
      name: 'send_email',
      schema: z.object({ to: z.string(), body: z.string() }),
      labels: ['egress'],
      signing: 'batched',
      execute: () => 'sent',
    });
  };
  const plain = make(false);
  const watched = make(true);
  const args = { to: 'ann@corp.example.com', body: 'hello' };
  const plainNs: number[] = [];
  const watchedNs: number[] = [];
  const diffNs: number[] = [];
  // Pairs of calls, the order swapped every pair so neither side always runs on a warmer cache; the
  // median of the pairwise differences is steadier than a difference of medians on a shared machine.
  const time = async (f: typeof plain, session: string): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await f(args, { session });
    return Number(process.hrtime.bigint() - t0);
  };
  for (let i = 0; i < 12_000; i++) {
    const session = `s${i % 100}`;
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = await time(plain, session);
      b = await time(watched, session);
    } else {
      b = await time(watched, session);
      a = await time(plain, session);
    }
    if (i >= 2_000) {
      plainNs.push(a);
      watchedNs.push(b);
      diffNs.push(b - a);
    }
  }
  plainNs.sort((x, y) => x - y);
  watchedNs.sort((x, y) => x - y);
  diffNs.sort((x, y) => x - y);
  const p = percentile(plainNs, 0.5);
  const w = percentile(watchedNs, 0.5);
  const d = percentile(diffNs, 0.5);
  return [
    {
      name: 'guarded call, no monitor (batched, memory sink)',
      opsPerSec: 1e9 / p,
      note: `p50 ${(p / 1000).toFixed(2)} µs`,
    },
    {
      name: 'guarded call with monitor hook (10,000 profile entries)',
      opsPerSec: 1e9 / w,
      baseline: 'guarded call, no monitor (batched, memory sink)',
      ratio: p / w,
      note: `p50 ${(w / 1000).toFixed(2)} µs; hook adds ${(d / 1000).toFixed(2)} µs per call (median of paired differences; ${((w - p) / 1000).toFixed(2)} µs between the p50s)`,
    },
  ];
}
