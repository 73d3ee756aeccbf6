/**
 * Reading and checking one line of proofs.jsonl: `{"proof":"<c2sp.org/tlog-proof>","seq":<n>}`. Two readers
 * that must agree: {@link checkProofLine}, which reads any strict JSON the format allows and says what is wrong,
 * and {@link createCanonicalProofCheck}, which reads only the exact canonical bytes the exporter writes, straight
 * from the line's bytes (no string, no JSON object, no base64 decode of a hash it does not need), and answers
 * `true` only when `checkProofLine` would find nothing. Anything else it leaves to `checkProofLine`. Internal.
 */
import type { createInclusionVerifier } from '@agentguard/audit';
import { canonicalize, fromUtf8, parseCanonicalJson, parseJson, sha256, utf8 } from '@agentguard/statement';
import { readTlogProof } from './format.js';

/** The checkpoint every proof is against: its signed note (verified once), size and root. */
export interface ProofCheckpoint {
  readonly note: string;
  readonly checkpoint: { readonly size: number; readonly root: Uint8Array };
}

type Included = ReturnType<typeof createInclusionVerifier>;

const MAX_LINE_BYTES = 64 * 1024;
const MAX_PROOF_CHARS = 16_384;
const MAX_HASHES = 64;

function text(bytes: Uint8Array): string | undefined {
  try {
    return fromUtf8(bytes);
  } catch {
    return undefined;
  }
}

/**
 * One line of proofs.jsonl: exactly `{ "proof": string (at most 16 KiB), "seq": count }` in strict JSON. The
 * exporter writes it canonical, read fast; any other form is read strictly and checked the same way (once per
 * record, so no schema library on this path).
 */
export function readProofLine(line: Uint8Array): { seq: number; proof: string } | undefined {
  if (line.length > MAX_LINE_BYTES) return undefined;
  const t = text(line);
  if (t === undefined) return undefined;
  let value: unknown;
  try {
    value = parseCanonicalJson(t, { maxBytes: MAX_LINE_BYTES });
  } catch {
    try {
      value = parseJson(t, { maxBytes: MAX_LINE_BYTES });
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes('seq') || !keys.includes('proof')) return undefined;
  const { seq, proof } = value as { seq: unknown; proof: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof proof !== 'string' || proof.length > MAX_PROOF_CHARS) return undefined;
  return { seq, proof };
}

/**
 * Checks line `i` (0-based) of proofs.jsonl: the proof of record `seq` with leaf hash `leaf`, against the bundle's
 * checkpoint. Returns what is wrong, or undefined when the proof holds.
 */
export function checkProofLine(
  line: Uint8Array,
  i: number,
  seq: number,
  leaf: Uint8Array,
  checkpoint: ProofCheckpoint,
  included: Included,
): string | undefined {
  const entry = readProofLine(line);
  if (entry === undefined) return `line ${i + 1} of proofs.jsonl is not {"proof","seq"}`;
  if (entry.seq !== seq) return `line ${i + 1} of proofs.jsonl is for seq ${entry.seq}, its record is seq ${seq}`;
  const proof = readTlogProof(entry.proof);
  if (proof === undefined) return `the proof of record seq ${seq} is not a c2sp.org/tlog-proof`;
  if (proof.checkpoint !== checkpoint.note) return `the proof of record seq ${seq} is not against checkpoint.txt`;
  if (proof.index !== seq) return `the proof of record seq ${seq} is for index ${proof.index}`;
  if (!included(seq, leaf, proof.hashes)) {
    return `record seq ${seq} is not in the log of checkpoint.txt (size ${checkpoint.checkpoint.size}): its inclusion proof fails`;
  }
  return undefined;
}

// Base64 (RFC 4648 §4) digit values; -1 for any other byte.
const B64 = new Int8Array(256).fill(-1);
for (const [v, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) {
  B64[c.charCodeAt(0)] = v;
}
const EQUALS = 0x3d;
const HASH_TEXT = 44;
/** A hash line in the JSON text: 44 base64 characters, then the escaped newline `\n`. */
const HASH_STEP = HASH_TEXT + 2;
/** Tree sizes the fast path takes: index arithmetic on 32-bit integers. Larger trees go the general way. */
const MAX_FAST_SIZE = 0x7fffffff;

/** Whether `line[at..]` is the 44 characters of canonical base64 of 32 bytes (format.ts HASH_B64). */
function isHash(line: Uint8Array, at: number): boolean {
  if (at + HASH_TEXT > line.length) return false;
  for (let k = at; k < at + 43; k++) if ((B64[line[k] as number] as number) < 0) return false;
  // The 43rd digit carries 4 bits of the hash and 2 zero bits; then the one '=' of padding.
  return ((B64[line[at + 42] as number] as number) & 3) === 0 && line[at + 43] === EQUALS;
}

/** Decodes the canonical base64 hash at `line[at..]` (checked by {@link isHash}) into `out[to..to+32]`. */
function decodeHash(line: Uint8Array, at: number, out: Uint8Array, to: number): void {
  let o = to;
  let k = at;
  for (let g = 0; g < 10; g++, k += 4) {
    const v =
      ((B64[line[k] as number] as number) << 18) |
      ((B64[line[k + 1] as number] as number) << 12) |
      ((B64[line[k + 2] as number] as number) << 6) |
      (B64[line[k + 3] as number] as number);
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const v =
    ((B64[line[k] as number] as number) << 12) |
    ((B64[line[k + 1] as number] as number) << 6) |
    (B64[line[k + 2] as number] as number);
  out[o++] = v >>> 10;
  out[o] = (v >>> 2) & 0xff;
}

function matches(line: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > line.length) return false;
  for (let k = 0; k < expected.length; k++) if (line[at + k] !== expected[k]) return false;
  return true;
}

function bytesEqual32(a: Uint8Array, b: Uint8Array): boolean {
  for (let k = 0; k < 32; k++) if (a[k] !== b[k]) return false;
  return true;
}

function rangesEqual(a: Uint8Array, aFrom: number, b: Uint8Array, bFrom: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[aFrom + k] !== b[bFrom + k]) return false;
  return true;
}

/** Reads a canonical decimal count (`0|[1-9][0-9]{0,15}`) at `line[at..]`: [value, end], or undefined. */
function readCount(line: Uint8Array, at: number): [number, number] | undefined {
  let k = at;
  let value = 0;
  while (k < line.length && (line[k] as number) >= 0x30 && (line[k] as number) <= 0x39 && k - at < 16) {
    value = value * 10 + ((line[k] as number) - 0x30);
    k++;
  }
  if (k === at || (line[at] === 0x30 && k > at + 1) || !Number.isSafeInteger(value)) return undefined;
  return [value, k];
}

const bitLength = (n: number) => 32 - Math.clz32(n);
function onesCount(n: number): number {
  let count = 0;
  for (let m = n; m !== 0; m &= m - 1) count++;
  return count;
}

/**
 * A check of proof lines in the exporter's canonical form against one checkpoint, for lines read in order: it
 * returns `true` only when {@link checkProofLine} would find nothing wrong with the line (`false` says nothing;
 * check that line with `checkProofLine`). The inclusion proof is checked as RFC 9162 §2.1.3.2 asks, computing
 * from the leaf up, but it stops where the rest of the computation is known to be that of the last proof that
 * verified (same tree shape), which reached the root: where the two paths are siblings, each path's node is the
 * other proof's hash there and every hash above is the same (as text); or where the paths meet, this proof
 * computed the same node and every remaining hash is the same. Every other proof is hashed to the root.
 *
 * @param checkpoint - the bundle's checkpoint, its note already verified.
 * @returns `(line, seq, leaf) => boolean`.
 */
export function createCanonicalProofCheck(
  checkpoint: ProofCheckpoint,
): (line: Uint8Array, seq: number, leaf: Uint8Array) => boolean {
  const { size, root } = checkpoint.checkpoint;
  // The line as the exporter writes it: canonicalize({ proof, seq }) (RFC 8785: keys sorted, `\n` escaped).
  const head = utf8('{"proof":"c2sp.org/tlog-proof@v1\\nindex ');
  const newline = utf8('\\n');
  const note = utf8(canonicalize(checkpoint.note).slice(1, -1));
  const tail = utf8('","seq":');
  const fixedRoot = root.slice();
  const noteChars = checkpoint.note.length;
  const scratch = new Uint8Array(65);
  scratch[0] = 1; // RFC 9162 §2.1.1: node hash = SHA-256(0x01 || left || right)
  /**
   * The node hash of `node` and the hash written at `line[at..]`, `node` on the left or on the right; undefined
   * when that is not canonical base64 of 32 bytes.
   */
  const hashWith = (node: Uint8Array, line: Uint8Array, at: number, nodeLeft: boolean): Uint8Array | undefined => {
    if (!isHash(line, at)) return undefined;
    scratch.set(node, nodeLeft ? 1 : 33);
    decodeHash(line, at, scratch, nodeLeft ? 33 : 1);
    return sha256(scratch);
  };
  // This proof's path nodes below the level where it stops, while it is checked.
  const computed: Uint8Array[] = [];
  const sibling = new Uint8Array(32);
  const lastSibling = new Uint8Array(32);
  // The last proof that verified: its line, where its hashes start, its index and count of hashes, and the node of
  // its path at each inner level (path[l] is the node at level l, position index >> l).
  let last: { line: Uint8Array; hashes: number; index: number; count: number; inner: number } | undefined;
  const path: Uint8Array[] = [];

  return (line, seq, leaf) => {
    if (
      line.length > MAX_LINE_BYTES ||
      size < 1 ||
      size > MAX_FAST_SIZE ||
      leaf.length !== 32 ||
      !matches(line, 0, head)
    ) {
      return false;
    }
    const index = readCount(line, head.length);
    if (index === undefined || index[0] !== seq || !matches(line, index[1], newline)) return false;
    const hashes = index[1] + newline.length;
    let at = hashes;
    let count = 0;
    // Each hash is checked to be canonical base64 where it is used, or found equal (as text) to one that was.
    while (!matches(line, at, newline)) {
      if (!matches(line, at + HASH_TEXT, newline)) return false;
      at += HASH_STEP;
      count++;
    }
    at += newline.length;
    if (count > MAX_HASHES) return false;
    // The proof's length in chars, as checkProofLine measures it: each `\n` (count + 3 of them) is one char.
    const proofChars = at - '{"proof":"'.length - (count + 3) + noteChars;
    if (proofChars > MAX_PROOF_CHARS || !matches(line, at, note)) return false;
    at += note.length;
    if (!matches(line, at, tail)) return false;
    const entrySeq = readCount(line, at + tail.length);
    if (entrySeq === undefined || entrySeq[0] !== seq || entrySeq[1] !== line.length - 1) return false;
    if (line[line.length - 1] !== 0x7d) return false;
    // The line says what checkProofLine would read from it: now the inclusion proof, RFC 9162 §2.1.3.2.
    if (seq >= size) return false;
    const inner = bitLength(seq ^ (size - 1));
    if (count !== inner + onesCount(seq >>> inner)) return false;
    // The level where this proof's path joins the last one's, if that proof had the same shape.
    const shaped = last !== undefined && last.inner === inner && last.count === count ? last : undefined;
    const join = shaped === undefined ? -1 : bitLength(seq ^ shaped.index);
    let node: Uint8Array | undefined = leaf;
    for (let l = 0; l < inner; l++) {
      if (l === join - 1 && shaped !== undefined) {
        // Here this path and the last one are siblings: when each one's node is the other's proof hash and
        // the hashes above are the same, both compute the same parent, and the same from there to the root.
        const mine = hashes + l * HASH_STEP;
        const theirs = shaped.hashes + l * HASH_STEP;
        if (isHash(line, mine)) {
          decodeHash(line, mine, sibling, 0);
          decodeHash(shaped.line, theirs, lastSibling, 0);
          if (
            bytesEqual32(sibling, path[l] as Uint8Array) &&
            bytesEqual32(node, lastSibling) &&
            rangesEqual(line, mine + HASH_STEP, shaped.line, theirs + HASH_STEP, (count - l - 1) * HASH_STEP)
          ) {
            for (let m = 0; m < l; m++) path[m] = computed[m] as Uint8Array;
            path[l] = node;
            last = { line, hashes, index: seq, count, inner };
            return true;
          }
        }
      }
      if (l === join && shaped !== undefined) {
        if (
          bytesEqual32(node, path[l] as Uint8Array) &&
          rangesEqual(line, hashes + l * HASH_STEP, shaped.line, shaped.hashes + l * HASH_STEP, (count - l) * HASH_STEP)
        ) {
          for (let m = 0; m < l; m++) path[m] = computed[m] as Uint8Array;
          last = { line, hashes, index: seq, count, inner };
          return true;
        }
      }
      computed[l] = node;
      node = hashWith(node, line, hashes + l * HASH_STEP, ((seq >>> l) & 1) === 0);
      if (node === undefined) return false;
    }
    for (let l = inner; l < count && node !== undefined; l++)
      node = hashWith(node, line, hashes + l * HASH_STEP, false);
    if (node === undefined) return false;
    for (let k = 0; k < 32; k++) if (node[k] !== fixedRoot[k]) return false;
    for (let m = 0; m < inner; m++) path[m] = computed[m] as Uint8Array;
    path.length = inner;
    last = { line, hashes, index: seq, count, inner };
    return true;
  };
}
