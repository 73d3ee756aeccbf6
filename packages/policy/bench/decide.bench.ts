/**
 * Decisions per second against policies of 10, 1,000 and 100,000 rules. The
 * engine indexes rules by tool name (exact names in a Map, globs by literal
 * prefix) and compiles conditions once, so the rate must stay roughly flat
 * as the policy grows: the ratio to the 10-rule case is the number to watch.
 */
import { createPolicyEngine, type DecisionRequest, type PolicyEngine, type PolicyRule } from '../src/index.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

function policyOf(size: number): { version: 1; rules: PolicyRule[] } {
  const rules: PolicyRule[] = [];
  for (let i = 0; i < size; i++) {
    switch (i % 4) {
      case 0:
        rules.push({ id: `r${i}`, effect: 'allow', tools: [`tool_${i}`], agents: ['agent-*'] });
        break;
      case 1:
        rules.push({ id: `r${i}`, effect: 'allow', tools: [`ns${i}_*`], when: { '/amount': { max: 1000 } } });
        break;
      case 2:
        rules.push({
          id: `r${i}`,
          effect: 'deny',
          tools: [`tool_${i - 2}`],
          when: { '/path': { pathPrefix: ['/etc'] } },
        });
        break;
      default:
        rules.push({ id: `r${i}`, effect: 'require_approval', tools: [`pay_${i}`], when: { '/amount': { min: 500 } } });
    }
  }
  return { version: 1, rules };
}

function requestsFor(size: number): DecisionRequest[] {
  const agent = { id: 'did:key:z6MkBench', name: 'agent-bench' };
  const out: DecisionRequest[] = [];
  for (let k = 0; k < 256; k++) {
    const i = Math.floor((k * 7919) % size);
    const base = i - (i % 4);
    const kind = k % 3;
    const tool = kind === 0 ? `tool_${base}` : kind === 1 ? `ns${base + 1}_read` : `unknown_${k}`;
    out.push({
      agent,
      tool: { name: tool },
      args: { amount: k * 5, path: k % 2 === 0 ? '/srv/x' : '/etc/../etc/passwd' },
    });
  }
  return out;
}

/** Decisions per second over `ms` of work, cycling through `requests`. */
async function rate(engine: PolicyEngine, requests: readonly DecisionRequest[], ms: number): Promise<number> {
  let sink = 0;
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) {
      sink += (await engine.decide(requests[(count + i) % requests.length] as DecisionRequest)).matched.length;
    }
    count += 1000;
    elapsed = performance.now() - start;
  }
  if (sink < 0) throw new Error('unreachable');
  return (count / elapsed) * 1000;
}

export async function run(): Promise<BenchResult[]> {
  const cases = [10, 1_000, 100_000].map((size) => ({
    name: `policy decide, ${size.toLocaleString('en-US')} rules`,
    engine: createPolicyEngine(policyOf(size)),
    requests: requestsFor(size),
    note: 'tool names repeat (candidate cache hits)',
  }));
  const big = cases[2] as (typeof cases)[2];
  // Every request names a tool not seen before, so the candidate cache never hits: index lookups each call.
  cases.push({
    name: 'policy decide, 100,000 rules, every tool name new',
    engine: big.engine,
    requests: Array.from({ length: 300_000 }, (_, k) => {
      const r = big.requests[k % big.requests.length] as DecisionRequest;
      return { ...r, tool: { name: `${r.tool.name}#${k}` } };
    }),
    note: 'no candidate cache: index lookups on every call',
  });
  for (const c of cases) await rate(c.engine, c.requests, 300); // warm up
  // Interleaved rounds, best of each: the machine may be shared, and the best round is the least disturbed.
  const best = cases.map(() => 0);
  for (let round = 0; round < 4; round++) {
    for (const [i, c] of cases.entries()) best[i] = Math.max(best[i] as number, await rate(c.engine, c.requests, 400));
  }
  const base = best[0] as number;
  return cases.map((c, i) => ({
    name: c.name,
    opsPerSec: best[i] as number,
    ...(i === 0 ? {} : { baseline: '10 rules', ratio: (best[i] as number) / base }),
    // The target is per decision, so the time is written beside the rate.
    note: `${(1e6 / (best[i] as number)).toFixed(1)} µs per decision (target < 5 µs at 100,000 rules); ${c.note}`,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) process.stdout.write(`${JSON.stringify(r)}\n`);
}
