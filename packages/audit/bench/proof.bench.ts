/**
 * Inclusion and consistency proof generation and verification against tree
 * size: both must grow as log n (hashes per proof), not with n.
 */
import { sha256 } from '@agentguard/statement';
import { MerkleTree } from '../src/tree/merkle.js';
import { verifyConsistency, verifyInclusion } from '../src/index.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

function rate(ms: number, body: (i: number) => void): number {
  for (let i = 0; i < 50; i++) body(i);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) body(n++);
  return n / ((performance.now() - start) / 1000);
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const tree = new MerkleTree();
  const seed = new Uint8Array(8);
  let first: { gen: number; ver: number } | undefined;
  // The first size twice: the first pass only warms the JIT up, so n=1,000 is not measured cold.
  for (const [pass, size] of [1_000, 1_000, 10_000, 100_000, 1_000_000].entries()) {
    while (tree.size < size) {
      new DataView(seed.buffer).setFloat64(0, tree.size);
      tree.append(sha256(seed));
    }
    const root = tree.root(size);
    const index = (i: number) => (i * 7919) % size;
    const gen = rate(200, (i) => tree.inclusionProof(index(i), size));
    const proofs = Array.from({ length: 64 }, (_, i) => ({ i: index(i), p: tree.inclusionProof(index(i), size) }));
    const ver = rate(200, (i) => {
      const { i: at, p } = proofs[i % 64] as { i: number; p: Uint8Array[] };
      if (!verifyInclusion(at, size, tree.leaf(at), p, root)) throw new Error('proof failed');
    });
    const small = Math.max(1, Math.floor(size / 3));
    const cproof = tree.consistencyProof(small, size);
    const smallRoot = tree.root(small);
    const cgen = rate(200, () => tree.consistencyProof(small, size));
    const cver = rate(200, () => {
      if (!verifyConsistency(small, size, cproof, smallRoot, root)) throw new Error('proof failed');
    });
    if (pass === 0) continue;
    first ??= { gen, ver };
    const hashes = tree.inclusionProof(0, size).length;
    results.push({
      name: `inclusion proof generate, n=${size.toLocaleString('en-US')}`,
      opsPerSec: gen,
      baseline: 'inclusion proof generate, n=1,000',
      ratio: gen / first.gen,
      note: `${hashes} hashes per proof`,
    });
    results.push({
      name: `inclusion proof verify, n=${size.toLocaleString('en-US')}`,
      opsPerSec: ver,
      baseline: 'inclusion proof verify, n=1,000',
      ratio: ver / first.ver,
    });
    results.push({ name: `consistency proof generate, n=${size.toLocaleString('en-US')}`, opsPerSec: cgen });
    results.push({ name: `consistency proof verify, n=${size.toLocaleString('en-US')}`, opsPerSec: cver });
  }
  return results;
}
