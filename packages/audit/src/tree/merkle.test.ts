import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64, fromHex, toHex, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash, MerkleTree, nodeHash, textHashes } from './merkle.js';
import { verifyConsistency, verifyInclusion } from './proof.js';

// transparency-dev/merkle test data (Apache-2.0), kept in ../test/vectors/rfc9162; its README names the commit.
const VECTORS = new URL('../../test/vectors/rfc9162/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.json') ? [path] : [];
  });
}
const b64 = (s: string) => fromBase64(s);

function treeOf(leaves: readonly Uint8Array[]): MerkleTree {
  const tree = new MerkleTree();
  for (const leaf of leaves) tree.append(leafHash(leaf));
  return tree;
}

describe('RFC 9162 vectors', () => {
  const tree = JSON.parse(readFileSync(join(VECTORS, 'tree.json'), 'utf8')) as { leaves: string[]; roots: string[] };

  it('reproduces the root of every prefix of the test tree (tree.json)', () => {
    const t = treeOf(tree.leaves.map(fromHex));
    expect(tree.roots).toHaveLength(9);
    for (const [n, root] of tree.roots.entries()) expect(toHex(t.root(n))).toBe(root);
    expect(toHex(EMPTY_ROOT)).toBe(tree.roots[0]);
  });

  const inclusion = files(join(VECTORS, 'inclusion'));
  it('has inclusion vectors', () => expect(inclusion.length).toBeGreaterThan(50));
  it.each(inclusion.map((f) => [f.slice(VECTORS.length), f]))('inclusion %s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    const ok = verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
    expect(ok).toBe(!v.wantErr);
  });

  const consistency = files(join(VECTORS, 'consistency'));
  it('has consistency vectors', () => expect(consistency.length).toBeGreaterThan(50));
  it.each(consistency.map((f) => [f.slice(VECTORS.length), f]))('consistency %s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    const ok = verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
    expect(ok).toBe(!v.wantErr);
  });

  it('generates exactly the valid proofs of the vectors for the test tree', () => {
    const t = treeOf(tree.leaves.map(fromHex));
    for (const file of inclusion) {
      const v = JSON.parse(readFileSync(file, 'utf8'));
      if (v.wantErr || v.treeSize > 8 || toHex(b64(v.root)) !== tree.roots[v.treeSize]) continue;
      expect(t.inclusionProof(v.leafIdx, v.treeSize).map(toHex)).toEqual(
        (v.proof ?? []).map((p: string) => toHex(b64(p))),
      );
    }
    for (const file of consistency) {
      const v = JSON.parse(readFileSync(file, 'utf8'));
      if (v.wantErr || v.size2 > 8 || v.size1 === v.size2 || toHex(b64(v.root2)) !== tree.roots[v.size2]) continue;
      expect(t.consistencyProof(v.size1, v.size2).map(toHex)).toEqual(
        (v.proof ?? []).map((p: string) => toHex(b64(p))),
      );
    }
  });
});

describe('MerkleTree properties', () => {
  it('every generated inclusion and consistency proof verifies, and a changed hash never does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(), fc.nat(), (n, a, b, flip) => {
        const t = treeOf(Array.from({ length: n }, (_, i) => utf8(`leaf ${i}`)));
        const size = 1 + (a % n);
        const index = b % size;
        const proof = t.inclusionProof(index, size);
        if (!verifyInclusion(index, size, t.leaf(index), proof, t.root(size))) return false;
        const size1 = 1 + (b % size);
        const cproof = t.consistencyProof(size1, size);
        if (!verifyConsistency(size1, size, cproof, t.root(size1), t.root(size))) return false;
        if (proof.length > 0) {
          const bad = proof.map((p) => p.slice());
          const target = bad[flip % bad.length] as Uint8Array;
          target[flip % 32] = (target[flip % 32] as number) ^ 1;
          if (verifyInclusion(index, size, t.leaf(index), bad, t.root(size))) return false;
        }
        if (cproof.length > 0) {
          const bad = cproof.map((p) => p.slice());
          const target = bad[flip % bad.length] as Uint8Array;
          target[flip % 32] = (target[flip % 32] as number) ^ 1;
          if (verifyConsistency(size1, size, bad, t.root(size1), t.root(size))) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('the root of a prefix equals the root of a tree built from only that prefix', () => {
    const leaves = Array.from({ length: 33 }, (_, i) => utf8(`r${i}`));
    const whole = treeOf(leaves);
    for (let n = 0; n <= 33; n++) expect(toHex(whole.root(n))).toBe(toHex(treeOf(leaves.slice(0, n)).root()));
  });

  it('truncates back to a smaller size and grows again identically', () => {
    const leaves = Array.from({ length: 21 }, (_, i) => utf8(`x${i}`));
    const t = treeOf(leaves);
    const root13 = toHex(t.root(13));
    t.truncate(13);
    expect(t.size).toBe(13);
    expect(toHex(t.root())).toBe(root13);
    for (const leaf of leaves.slice(13)) t.append(leafHash(leaf));
    expect(toHex(t.root())).toBe(toHex(treeOf(leaves).root()));
  });

  it.each([
    ['an index past the size', () => new MerkleTree().inclusionProof(0, 0)],
    ['a size past the tree', () => new MerkleTree().root(1)],
    ['a consistency proof from 0', () => treeOf([utf8('a')]).consistencyProof(0, 1)],
    ['a short hash', () => new MerkleTree().append(new Uint8Array(31))],
  ])('throws on %s', (_name, f) => {
    expect(f).toThrow();
  });

  it('verifiers return false for sizes that are not non-negative safe integers', () => {
    const h = new Uint8Array(32);
    expect(verifyInclusion(-1, 2, h, [h], h)).toBe(false);
    expect(verifyInclusion(0, 2 ** 64, h, [h], h)).toBe(false);
    expect(verifyConsistency(1.5, 2, [h], h, h)).toBe(false);
    expect(verifyConsistency(1, Number.NaN, [h], h, h)).toBe(false);
  });

  it.each([
    ['a string index', () => verifyInclusion('1' as never, 2, new Uint8Array(32), [], new Uint8Array(32))],
    ['a string size', () => verifyConsistency(1, '2' as never, [], new Uint8Array(32), new Uint8Array(32))],
    ['a proof of strings', () => verifyInclusion(0, 2, new Uint8Array(32), ['aa'] as never, new Uint8Array(32))],
    ['a root that is not bytes', () => verifyConsistency(1, 2, [], 'x' as never, new Uint8Array(32))],
  ])('verifiers throw TypeError for %s', (_name, f) => {
    expect(f).toThrow(TypeError);
  });
});

describe('hashes built in reused buffers', () => {
  // The reference: a Hash object of node:crypto, fed the whole input (the code under test uses the one-shot hash).
  const plainSha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
  const plainLeaf = (bytes: Uint8Array) => plainSha256(Uint8Array.of(0, ...bytes));
  // Short and long texts (past the reused buffer), non-ASCII, lone surrogates (encoded as U+FFFD, as utf8 does).
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: fc.constantFrom('a', 'é', '\u{1F600}', '\uD800', '\u0000'), maxLength: 40 }),
    fc.nat({ max: 40_000 }).map((n) => 'x'.repeat(n)),
  );

  it('textHashes gives the leaf hash and SHA-256 of the UTF-8 bytes, call after call (property)', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const first = textHashes(a);
        const second = textHashes(b);
        for (const [t, h] of [
          [a, first],
          [b, second],
        ] as const) {
          const bytes = utf8(t);
          expect(toHex(h.leaf)).toBe(toHex(plainLeaf(bytes)));
          expect(h.hex).toBe(toHex(plainSha256(bytes)));
          expect(h.bytes).toBe(bytes.length);
        }
        // Each result owns its bytes: a later hash does not change an earlier one.
        expect(toHex(first.leaf)).toBe(toHex(plainLeaf(utf8(a))));
      }),
      { numRuns: 300 },
    );
  });

  it('leafHash and nodeHash equal the plain definition, for any sizes and views (property)', () => {
    const bytes = fc.uint8Array({ maxLength: 30_000 });
    fc.assert(
      fc.property(bytes, fc.nat({ max: 8 }), fc.uint8Array({ maxLength: 40 }), (b, cut, c) => {
        const view = b.subarray(Math.min(cut, b.length));
        expect(toHex(leafHash(view))).toBe(toHex(plainLeaf(view)));
        expect(toHex(nodeHash(c, view.subarray(0, 32)))).toBe(
          toHex(plainSha256(Uint8Array.of(1, ...c, ...view.subarray(0, 32)))),
        );
      }),
      { numRuns: 200 },
    );
  });
});
