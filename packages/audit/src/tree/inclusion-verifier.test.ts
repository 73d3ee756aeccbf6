import { sha256, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafHash, MerkleTree } from './merkle.js';
import { createInclusionVerifier, verifyInclusion } from './proof.js';

function tree(n: number): MerkleTree {
  const t = new MerkleTree();
  for (let i = 0; i < n; i++) t.append(leafHash(utf8(`leaf ${i}`)));
  return t;
}

describe('createInclusionVerifier', () => {
  it('answers as verifyInclusion for every proof, honest or tampered, in any order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(
          fc.tuple(fc.nat(), fc.constantFrom('honest', 'honest', 'leaf', 'hash', 'last', 'short', 'long', 'index')),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (n, cases) => {
          const t = tree(n);
          const size = fc.sample(fc.integer({ min: 1, max: n }), 1)[0] as number;
          const root = t.root(size);
          const verifier = createInclusionVerifier(size, root);
          for (const [raw, how] of cases) {
            const index = raw % size;
            let leaf = t.leaf(index);
            let proof = t.inclusionProof(index, size);
            let at = index;
            if (how === 'leaf') leaf = sha256(leaf);
            if (how === 'hash' && proof.length > 0) proof = [sha256(proof[0] as Uint8Array), ...proof.slice(1)];
            if (how === 'last' && proof.length > 0) proof = [...proof.slice(0, -1), sha256(proof.at(-1) as Uint8Array)];
            if (how === 'short') proof = proof.slice(1);
            if (how === 'long') proof = [...proof, root];
            if (how === 'index') at = (index + 1) % (size + 1);
            if (verifier(at, leaf, proof) !== verifyInclusion(at, size, leaf, proof, root)) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('proves every leaf in turn, refuses a proof of another leaf, and a wrong root', () => {
    const t = tree(33);
    const verifier = createInclusionVerifier(33, t.root());
    for (let i = 0; i < 33; i++) expect(verifier(i, t.leaf(i), t.inclusionProof(i))).toBe(true);
    expect(verifier(5, t.leaf(6), t.inclusionProof(5))).toBe(false);
    const wrong = createInclusionVerifier(33, t.root(32));
    expect(wrong(0, t.leaf(0), t.inclusionProof(0))).toBe(false);
  });
});
