/**
 * A Merkle tree hashed exactly as RFC 9162 §2.1 (Certificate Transparency v2):
 * leaf hash = SHA-256(0x00 || leaf bytes), node hash = SHA-256(0x01 || left || right),
 * the empty tree's hash = SHA-256(""). Every complete subtree's hash is kept, so
 * roots and proofs for any size cost O(log n) hashes.
 */
import { sha256, sha256Hex, utf8 } from '@agentguard/statement';

const HASH = 32;

/**
 * Hash inputs are built in buffers reused from call to call, not in a fresh array per hash: a typed array of more
 * than 64 bytes is allocated outside V8's heap, which cost more than the hash (measured on a 650-byte record
 * body: a new array 2.2 µs, hashing it 0.6 µs; a leaf hash went from 7.2 µs to 1.0 µs). Each buffer is filled
 * and hashed in one synchronous step, so no other use can see it half-built.
 */
const SCRATCH_UNITS = 8192;
/** The leaf prefix byte, then room for the UTF-8 of SCRATCH_UNITS UTF-16 units (at most 3 bytes each). */
const scratch = new Uint8Array(1 + SCRATCH_UNITS * 3);
const nodeInput = new Uint8Array(1 + 2 * HASH);
const encoder = new TextEncoder();

/** SHA-256(0x00 || bytes): the hash of one leaf (RFC 9162 §2.1.1). */
export function leafHash(bytes: Uint8Array): Uint8Array {
  const input = bytes.length < scratch.length ? scratch : new Uint8Array(bytes.length + 1);
  input[0] = 0;
  input.set(bytes, 1);
  return sha256(input.subarray(0, bytes.length + 1));
}

/** SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const size = 1 + left.length + right.length;
  const input = size === nodeInput.length ? nodeInput : new Uint8Array(size);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** The hashes of a record body given as text, from one UTF-8 encoding of it. */
export interface TextHashes {
  /** {@link leafHash} of the text's UTF-8 bytes. */
  readonly leaf: Uint8Array;
  /** Lower-case hex SHA-256 of the same bytes (no prefix): a record's `hash`. */
  readonly hex: string;
  /** How many UTF-8 bytes the text is. */
  readonly bytes: number;
}

/**
 * The leaf hash and the plain SHA-256 of the UTF-8 of `text` (a lone surrogate as U+FFFD, as `utf8` encodes
 * it), encoded once: what the writer and the verifier compute for every record body.
 */
export function textHashes(text: string): TextHashes {
  if (text.length > SCRATCH_UNITS) {
    const bytes = utf8(text);
    return { leaf: leafHash(bytes), hex: sha256Hex(bytes), bytes: bytes.length };
  }
  scratch[0] = 0;
  const { written } = encoder.encodeInto(text, scratch.subarray(1));
  const hex = sha256Hex(scratch.subarray(1, 1 + written));
  return { leaf: sha256(scratch.subarray(0, 1 + written)), hex, bytes: written };
}

/** The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** The largest power of two strictly below `n` (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** One level of the tree: hashes of the complete subtrees of one height, packed. */
class Level {
  bytes = new Uint8Array(HASH * 64);
  count = 0;
  push(hash: Uint8Array): void {
    if ((this.count + 1) * HASH > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.bytes.set(hash, this.count * HASH);
    this.count += 1;
  }
  at(i: number): Uint8Array {
    return this.bytes.slice(i * HASH, (i + 1) * HASH);
  }
}

/** An append-only RFC 9162 Merkle tree of leaf hashes. */
export class MerkleTree {
  private readonly levels: Level[] = [new Level()];

  /** Number of leaves. */
  get size(): number {
    return (this.levels[0] as Level).count;
  }

  /** Appends a leaf hash (see {@link leafHash}). */
  append(hash: Uint8Array): void {
    if (!(hash instanceof Uint8Array) || hash.length !== HASH) throw new TypeError('"hash" expected 32 bytes');
    let node = hash;
    for (let height = 0; ; height++) {
      if (this.levels[height] === undefined) this.levels[height] = new Level();
      const level = this.levels[height] as Level;
      level.push(node);
      if (level.count % 2 === 1) return;
      node = nodeHash(level.at(level.count - 2), node);
    }
  }

  /** Drops leaves so that `size` remain (used when unwritten records are rolled back). */
  truncate(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new RangeError('"size" out of range');
    for (let height = 0; height < this.levels.length; height++) {
      (this.levels[height] as Level).count = Math.floor(size / 2 ** height);
    }
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Uint8Array {
    this.checkSize(index + 1);
    return (this.levels[0] as Level).at(index);
  }

  /** The root hash of the first `size` leaves (RFC 9162 §2.1.1 MTH). @default size: all leaves */
  root(size = this.size): Uint8Array {
    this.checkSize(size);
    return size === 0 ? EMPTY_ROOT.slice() : this.hashOf(0, size);
  }

  /** The inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1). */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`"index" expected 0..${size - 1}, got ${String(index)}`);
    }
    const proof: Uint8Array[] = [];
    // PATH(m, D[start:end]), iteratively from the top; hashes are collected top-down and returned bottom-up.
    let start = 0;
    let end = size;
    let m = index;
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (m < k) {
        proof.push(this.hashOf(start + k, end));
        end = start + k;
      } else {
        proof.push(this.hashOf(start, start + k));
        start += k;
        m -= k;
      }
    }
    return proof.reverse();
  }

  /** The consistency proof from the tree of `size1` leaves to that of `size2` (RFC 9162 §2.1.4.1). */
  consistencyProof(size1: number, size2 = this.size): Uint8Array[] {
    this.checkSize(size2);
    if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
      throw new RangeError(`"size1" expected 1..${size2}, got ${String(size1)}`);
    }
    const proof: Uint8Array[] = [];
    // SUBPROOF(m, D[start:end], b)
    let start = 0;
    let end = size2;
    let m = size1;
    let whole = true;
    while (m !== end - start) {
      const n = end - start;
      const k = splitPoint(n);
      if (m <= k) {
        proof.push(this.hashOf(start + k, end));
        end = start + k;
      } else {
        proof.push(this.hashOf(start, start + k));
        start += k;
        m -= k;
        whole = false;
      }
    }
    if (!whole) proof.push(this.hashOf(start, end));
    return proof.reverse();
  }

  /** MTH(D[start:end]) for 0 ≤ start < end ≤ size, from the stored complete subtrees. */
  private hashOf(start: number, end: number): Uint8Array {
    const n = end - start;
    if ((n & (n - 1)) === 0 || n === 2 ** Math.round(Math.log2(n))) {
      const height = Math.round(Math.log2(n));
      if (start % n === 0) return (this.levels[height] as Level).at(start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.hashOf(start, start + k), this.hashOf(start + k, end));
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new RangeError(`"size" expected 0..${this.size}, got ${String(size)}`);
    }
  }
}
