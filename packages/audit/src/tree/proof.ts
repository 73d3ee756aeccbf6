/**
 * Offline verifiers of RFC 9162 inclusion and consistency proofs, following
 * §2.1.3.2 and §2.1.4.2 as transparency-dev/merkle implements them (proof
 * length must be exact; no extra or missing hash is tolerated).
 */
import { bytesEqual } from '@agentguard/statement';
import { nodeHash } from './merkle.js';

function checkSize(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`"${name}" expected a number, got ${typeof value}`);
}

/** Sizes come from untrusted proofs: anything but a non-negative safe integer makes the proof fail. */
function validSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function checkHashes(value: unknown, name: string): asserts value is readonly Uint8Array[] {
  if (!Array.isArray(value) || value.some((h) => !(h instanceof Uint8Array))) {
    throw new TypeError(`"${name}" expected an array of Uint8Array`);
  }
}

/** Number of bits needed to write `n` (bits.Len64). */
function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function onesCount(n: bigint): number {
  let count = 0;
  for (const c of n.toString(2)) if (c === '1') count++;
  return count;
}

function trailingZeros(n: bigint): number {
  let z = 0;
  while (n > 0n && (n & 1n) === 0n) {
    n >>= 1n;
    z++;
  }
  return z;
}

/** Splits an inclusion proof of `index` in a tree of `size` into its inner and border parts. */
function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  for (const [i, h] of proof.entries()) {
    seed = ((index >> BigInt(i)) & 1n) === 0n ? nodeHash(seed, h) : nodeHash(h, seed);
  }
  return seed;
}

function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  for (const [i, h] of proof.entries()) if (((index >> BigInt(i)) & 1n) === 1n) seed = nodeHash(h, seed);
  return seed;
}

function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  for (const h of proof) seed = nodeHash(h, seed);
  return seed;
}

/**
 * Checks that the leaf with hash `leafHash` is at `index` in the tree of `size`
 * leaves whose root is `root` (RFC 9162 §2.1.3.2).
 *
 * @returns true when the proof holds; false for any wrong or malformed proof.
 * @throws TypeError when an argument has the wrong type.
 * @example
 * ```ts
 * verifyInclusion(3, 8, recordLeaf(record), proof, checkpointRoot); // true
 * ```
 */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  checkSize(index, 'index');
  checkSize(size, 'size');
  checkHashes(proof, 'proof');
  if (!(leaf instanceof Uint8Array) || !(root instanceof Uint8Array)) throw new TypeError('hashes expected Uint8Array');
  if (!validSize(index) || !validSize(size) || index >= size || leaf.length !== 32) return false;
  const { inner, border } = decompose(BigInt(index), BigInt(size));
  if (proof.length !== inner + border) return false;
  const computed = chainBorderRight(chainInner(leaf, proof.slice(0, inner), BigInt(index)), proof.slice(inner));
  return bytesEqual(computed, root);
}

/**
 * Checks that the tree of `size1` leaves with root `root1` is a prefix of the
 * tree of `size2` leaves with root `root2` (RFC 9162 §2.1.4.2): the log only grew.
 * A proof from the empty tree proves nothing and is refused.
 *
 * @returns true when the proof holds; false for any wrong or malformed proof.
 * @throws TypeError when an argument has the wrong type.
 * @example
 * ```ts
 * verifyConsistency(witnessed.size, latest.size, proof, witnessed.root, latest.root); // true
 * ```
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  checkHashes(proof, 'proof');
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array))
    throw new TypeError('roots expected Uint8Array');
  if (!validSize(size1) || !validSize(size2) || size1 === 0 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
  if (proof.length === 0) return false;
  const s1 = BigInt(size1);
  const decomposed = decompose(s1 - 1n, BigInt(size2));
  const shift = trailingZeros(s1);
  const inner = decomposed.inner - shift;
  // The proof starts with the hash of the subtree of size 2^shift, unless size1 is that subtree.
  const whole = s1 === 1n << BigInt(shift);
  const seed = whole ? root1 : (proof[0] as Uint8Array);
  const rest = proof.slice(whole ? 0 : 1);
  if (rest.length !== inner + decomposed.border) return false;
  const mask = (s1 - 1n) >> BigInt(shift);
  const innerPart = rest.slice(0, inner);
  const borderPart = rest.slice(inner);
  const hash1 = chainBorderRight(chainInnerRight(seed, innerPart, mask), borderPart);
  if (!bytesEqual(hash1, root1)) return false;
  return bytesEqual(chainBorderRight(chainInner(seed, innerPart, mask), borderPart), root2);
}

/**
 * A verifier of many inclusion proofs against one tree head (`size`, `root`), as an exported excerpt of a log
 * holds one per record. It answers exactly as {@link verifyInclusion} for each proof, but remembers the interior
 * nodes of every proof that verified, with the rest of that proof: a later proof whose path reaches one of them
 * with the same hash, and whose remaining hashes are the same, is proven there (that rest was already shown to
 * lead to `root`), so proofs of neighbouring records cost a hash or two instead of one per level.
 *
 * @param size - the tree size of the checkpoint.
 * @param root - its 32-byte root hash.
 * @returns a function `(index, leaf, proof) => boolean`.
 * @throws TypeError when an argument has the wrong type.
 * @example
 * ```ts
 * const included = createInclusionVerifier(checkpoint.size, checkpoint.root);
 * included(3, recordLeaf(record), proof); // true
 * ```
 */
export function createInclusionVerifier(
  size: number,
  root: Uint8Array,
): (index: number, leaf: Uint8Array, proof: readonly Uint8Array[]) => boolean {
  checkSize(size, 'size');
  if (!(root instanceof Uint8Array)) throw new TypeError('"root" expected Uint8Array');
  const fixedRoot = root.slice();
  // known[level]: position at that level → the node hash a verified proof computed there, and that proof.
  const known: Map<number, { node: Uint8Array; proof: readonly Uint8Array[] }>[] = [];
  const sameFrom = (a: readonly Uint8Array[], b: readonly Uint8Array[], from: number) => {
    if (a.length !== b.length) return false;
    for (let j = from; j < a.length; j++) if (!bytesEqual(a[j] as Uint8Array, b[j] as Uint8Array)) return false;
    return true;
  };
  return (index, leaf, proof) => {
    checkSize(index, 'index');
    checkHashes(proof, 'proof');
    if (!(leaf instanceof Uint8Array)) throw new TypeError('hashes expected Uint8Array');
    if (!validSize(index) || !validSize(size) || index >= size || leaf.length !== 32) return false;
    const { inner, border } = decompose(BigInt(index), BigInt(size));
    if (proof.length !== inner + border) return false;
    const kept = proof.slice();
    const path: Uint8Array[] = [];
    let seed = leaf;
    let proven = false;
    for (let i = 0; i < inner; i++) {
      const seen = known[i]?.get(Math.floor(index / 2 ** i));
      if (seen !== undefined && bytesEqual(seen.node, seed) && sameFrom(seen.proof, kept, i)) {
        proven = true;
        break;
      }
      path.push(seed);
      const h = kept[i] as Uint8Array;
      seed = Math.floor(index / 2 ** i) % 2 === 0 ? nodeHash(seed, h) : nodeHash(h, seed);
    }
    if (!proven && !bytesEqual(chainBorderRight(seed, kept.slice(inner)), fixedRoot)) return false;
    for (const [i, node] of path.entries()) {
      let level = known[i];
      if (level === undefined) {
        level = new Map();
        known[i] = level;
      }
      level.set(Math.floor(index / 2 ** i), { node, proof: kept });
    }
    return true;
  };
}
