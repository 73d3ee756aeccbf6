/**
 * Credential-chain verification per second for chain depths 1 to 8 (delegation
 * links after the root credential), without and with the per-session chain cache,
 * plus a single credential as the baseline. Uses the default Ed25519 backend.
 */
import { createTrustAnchors } from '../src/trust/anchors.js';
import { issueCredential, verifyCredential } from '../src/credential/credential.js';
import { delegate } from '../src/delegation/delegation.js';
import { createChainCache, verifyChain } from '../src/delegation/chain.js';
import { createIdentity } from '../src/key/identity.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

async function measure(fn: () => Promise<unknown>, ms: number, warmMs: number): Promise<number> {
  const warmEnd = performance.now() + warmMs;
  while (performance.now() < warmEnd) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 4; i++) await fn();
    n += 4;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export async function run(): Promise<BenchResult[]> {
  const now = Date.now();
  const authority = createIdentity();
  const anchors = createTrustAnchors([authority.id]);
  const agents = Array.from({ length: 9 }, () => createIdentity());
  const first = agents[0] as (typeof agents)[number];
  const chain = [
    await issueCredential({
      issuer: authority,
      subject: first.id,
      name: 'root',
      owner: 'bench',
      environment: 'bench',
      riskTier: 'high',
      tools: ['fs.*', 'http.get'],
      scopes: ['read'],
      args: { path: { prefix: ['/data'] }, size: { max: 1000 } },
      maxCalls: 1000,
      nowMs: now,
      ttlMs: 3_600_000,
    }),
  ];
  for (let i = 1; i <= 8; i++) {
    chain.push(
      await delegate({
        delegator: agents[i - 1] as (typeof agents)[number],
        parent: chain[i - 1] as string,
        delegatee: (agents[i] as (typeof agents)[number]).id,
        tools: ['fs.read'],
        maxCalls: 1000 - i,
        nowMs: now,
      }),
    );
  }
  const o = { anchors, now, maxDepth: 8 };
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['single credential (verifyCredential)', () => verifyCredential(chain[0], o)],
  ];
  for (let depth = 1; depth <= 8; depth++) {
    const c = chain.slice(0, depth + 1);
    const cache = createChainCache();
    cases.push([`chain depth ${depth}, no cache`, () => verifyChain(c, o)]);
    cases.push([`chain depth ${depth}, cached`, () => verifyChain(c, { ...o, cache })]);
  }
  // Sanity: every case verifies, or the numbers mean nothing.
  for (const [name, fn] of cases) {
    const r = (await fn()) as { ok: boolean };
    if (!r.ok) throw new Error(`bench case "${name}" does not verify`);
  }
  const best = new Map<string, number>();
  for (let round = 0; round < 2; round++) {
    for (const [name, fn] of cases)
      best.set(name, Math.max(best.get(name) ?? 0, await measure(fn, 250, round === 0 ? 100 : 20)));
  }
  const base = best.get('single credential (verifyCredential)') as number;
  return cases.map(([name]) => {
    const ops = best.get(name) as number;
    const depth = /depth (\d)/.exec(name)?.[1];
    if (depth === undefined) return { name, opsPerSec: ops, note: 'baseline: one credential, no delegation' };
    if (name.endsWith('cached')) {
      const uncached = best.get(`chain depth ${depth}, no cache`) as number;
      return {
        name,
        opsPerSec: ops,
        baseline: `depth ${depth} no cache`,
        ratio: ops / uncached,
        note: 'windows and anchor key re-checked per call',
      };
    }
    return { name, opsPerSec: ops, baseline: 'single credential', ratio: ops / base };
  });
}
