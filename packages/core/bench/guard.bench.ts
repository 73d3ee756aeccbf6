/**
 * The cost of guard() per call: a guarded call (validate, sign envelope, verify
 * it, two signed audit records, policy decision) against the same tool called
 * bare, in the same run.
 */
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { z } from 'zod';
import { createGuard } from '../src/index.js';
import { type BenchResult, measure as measureFor } from '../../../.config/bench-kit.js';

const measure = (fn: () => Promise<unknown>, ms = 2_000) => measureFor(fn, ms, 200);

export async function run(): Promise<BenchResult[]> {
  const schema = z.object({ city: z.string().max(100), units: z.enum(['metric', 'imperial']) });
  const execute = async ({ city }: { city: string }) => ({ city, celsius: 21 });
  const args = { city: 'Lisbon', units: 'metric' as const };
  const ag = createGuard({
    identity: createIdentity({ name: 'bench' }),
    policy: { version: 1, rules: [{ id: 'weather', effect: 'allow', tools: ['get_weather'] }] },
    audit: createAuditLog({ sink: createMemorySink() }),
  });
  const guarded = ag.guard({ name: 'get_weather', schema, execute });
  const denied = ag.guard({ name: 'delete_all', schema, execute });

  const logKey = createIdentity({ name: 'log key' });
  const batchedGuard = createGuard({
    identity: createIdentity({ name: 'bench' }),
    policy: { version: 1, rules: [{ id: 'weather', effect: 'allow', tools: ['get_weather'] }] },
    audit: createAuditLog({ sink: createMemorySink(), checkpoint: { signer: logKey, everyRecords: 1000, everyMs: 0 } }),
  });
  const batched = batchedGuard.guard({ name: 'get_weather', schema, execute, signing: 'batched' });

  const bare = await measure(() => execute(schema.parse(args)));
  const throughput = await measure(() => batched(args));
  const allowed = await measure(() => guarded(args));
  const refused = await measure(() => denied.safeRun(args));
  return [
    { name: 'bare call (zod parse + tool)', opsPerSec: bare },
    {
      name: 'guarded call, allowed (memory sink)',
      opsPerSec: allowed,
      baseline: 'time of a bare call',
      ratio: bare / allowed,
      note: `${(1e6 / allowed).toFixed(0)} µs per call`,
    },
    {
      name: 'guarded call, batched signing (memory sink)',
      opsPerSec: throughput,
      baseline: 'time of a bare call',
      ratio: bare / throughput,
      note: `${(1e6 / throughput).toFixed(0)} µs per call; covered by a checkpoint every 1,000 records`,
    },
    {
      name: 'guarded call, denied (memory sink)',
      opsPerSec: refused,
      baseline: 'time of a bare call',
      ratio: bare / refused,
      note: `${(1e6 / refused).toFixed(0)} µs per call`,
    },
  ];
}
