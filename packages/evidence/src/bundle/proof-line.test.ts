import { createInclusionVerifier, openNote, parseCheckpoint, verifyRecordLine } from '@agentguard/audit';
import { didToPublicKey } from '@agentguard/identity';
import { canonicalize, fromUtf8, sha256, toBase64, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORTER, LOG_KEY, writeLog } from '../../test/helpers.js';
import { exportBundle } from './export.js';
import { checkProofLine, createCanonicalProofCheck, type ProofCheckpoint } from './proof-line.js';

interface Fixture {
  readonly checkpoint: ProofCheckpoint;
  readonly proofs: readonly string[];
  readonly records: ReadonlyArray<{ seq: number; leaf: Uint8Array }>;
}

async function fixture(count: number, every: number): Promise<Fixture> {
  const bundle = await exportBundle({ log: await writeLog(count, every), signer: EXPORTER });
  const note = fromUtf8(bundle.files.get('checkpoint.txt') as Uint8Array);
  const origin = note.slice(0, note.indexOf('\n'));
  const checkpoint = parseCheckpoint(openNote(note, origin, didToPublicKey(LOG_KEY.id)) as string);
  if (checkpoint === undefined) throw new Error('fixture checkpoint does not open');
  const split = (name: string) =>
    fromUtf8(bundle.files.get(name) as Uint8Array)
      .split('\n')
      .slice(0, -1);
  const records = split('records.jsonl').map((line) => {
    const r = verifyRecordLine(line);
    if (!r.ok) throw new Error(`fixture record does not verify: ${r.reason}`);
    return { seq: r.record.seq, leaf: r.leaf };
  });
  return { checkpoint: { note, checkpoint }, proofs: split('proofs.jsonl'), records };
}

let small: Fixture;
let batchedLog: Fixture;
beforeAll(async () => {
  small = await fixture(45, 10);
  batchedLog = await fixture(70, 7);
});

/** Ways to spoil a proof line; each one is read by both readers. */
const HOW = [
  'honest',
  'byte',
  'hash',
  'hash-other',
  'hash-noncanonical',
  'drop-hash',
  'repeat-hash',
  'other-line',
  'other-leaf',
  'index',
  'seq',
  'note',
  'escape',
  'extra',
  'spaces',
] as const;
type How = (typeof HOW)[number];

function spoil(f: Fixture, i: number, how: How, pick: number, byte: number): { line: Uint8Array; leaf: Uint8Array } {
  const { line: text, leaf } = spoilText(f, i, how, pick, byte);
  if (how !== 'byte') return { line: utf8(text), leaf };
  const bytes = utf8(text);
  bytes[pick % bytes.length] = byte; // not always UTF-8 any more
  return { line: bytes, leaf };
}

function spoilText(f: Fixture, i: number, how: How, pick: number, byte: number): { line: string; leaf: Uint8Array } {
  const line = f.proofs[i] as string;
  const { leaf } = f.records[i] as { leaf: Uint8Array };
  const value = JSON.parse(line) as { proof: string; seq: number };
  const parts = value.proof.split('\n');
  const firstHash = 2;
  const blank = parts.indexOf('');
  const hashCount = blank - firstHash;
  const at = firstHash + (hashCount > 0 ? pick % hashCount : 0);
  const other = f.proofs[(i + 1 + (pick % (f.proofs.length - 1))) % f.proofs.length] as string;
  const rewrite = () => ({ line: JSON.stringify({ proof: parts.join('\n'), seq: value.seq }), leaf });
  switch (how) {
    case 'honest':
    case 'byte':
      return { line, leaf };
    case 'hash':
      if (hashCount > 0) parts[at] = toBase64(sha256(utf8(parts[at] as string)));
      return rewrite();
    case 'hash-other': {
      const theirs = (JSON.parse(other) as { proof: string }).proof.split('\n');
      if (hashCount > 0 && theirs[at] !== undefined && theirs[at] !== '') parts[at] = theirs[at] as string;
      return rewrite();
    }
    case 'hash-noncanonical':
      // Same bytes in lenient base64 (a padding bit set): the strict reader refuses it.
      if (hashCount > 0) {
        const h = parts[at] as string;
        const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        parts[at] = `${h.slice(0, 42)}${digits[digits.indexOf(h[42] as string) | 1]}=`;
      }
      return rewrite();
    case 'drop-hash':
      if (hashCount > 0) parts.splice(at, 1);
      return rewrite();
    case 'repeat-hash':
      if (hashCount > 0) parts.splice(at, 0, parts[at] as string);
      return rewrite();
    case 'other-line':
      return { line: other, leaf };
    case 'other-leaf':
      return { line, leaf: (f.records[(i + 1) % f.records.length] as { leaf: Uint8Array }).leaf };
    case 'index':
      parts[1] = `index ${pick % 3 === 0 ? `0${value.seq}` : value.seq + 1 + (pick % 5)}`;
      return rewrite();
    case 'seq':
      return { line: JSON.stringify({ proof: value.proof, seq: value.seq + 1 }), leaf };
    case 'note': {
      const p = value.proof;
      const k = p.length - 1 - (pick % Math.min(p.length, 200));
      const changed = `${p.slice(0, k)}${String.fromCharCode(byte || 1)}${p.slice(k + 1)}`;
      return { line: JSON.stringify({ proof: changed, seq: value.seq }), leaf };
    }
    case 'escape':
      // The same JSON value, not in canonical form: only the strict reader takes it.
      return { line: line.replace('\\n', '\\u000a'), leaf };
    case 'extra':
      parts.splice(1, 0, 'extra x');
      return rewrite();
    case 'spaces':
      return { line: line.replace('","seq":', '", "seq": '), leaf };
  }
}

describe('createCanonicalProofCheck', () => {
  it('takes every honest line of a bundle in order', () => {
    for (const f of [small, batchedLog]) {
      const check = createCanonicalProofCheck(f.checkpoint);
      f.proofs.forEach((line, i) => {
        const r = f.records[i] as { seq: number; leaf: Uint8Array };
        expect(check(utf8(line), r.seq, r.leaf)).toBe(true);
      });
    }
  });

  it('takes a line only when checkProofLine finds nothing wrong with it, honest or spoilt, in any order (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...HOW), fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.boolean(),
        (which, cases, inOrder) => {
          const f = which === 0 ? small : batchedLog;
          const check = createCanonicalProofCheck(f.checkpoint);
          const { size, root } = f.checkpoint.checkpoint;
          const included = createInclusionVerifier(size, root);
          for (const [n, [raw, how, pick, byte]] of cases.entries()) {
            const i = inOrder ? n % f.proofs.length : raw % f.proofs.length;
            const { seq } = f.records[i] as { seq: number };
            const { line, leaf } = spoil(f, i, how, pick, byte);
            const fast = check(line, seq, leaf);
            const slow = checkProofLine(line, i, seq, leaf, f.checkpoint, included);
            if (fast && slow !== undefined) return false;
            if (how === 'honest' && !fast) return false;
          }
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses a proof whose hashes above the join with the last proof differ, after honest neighbours', () => {
    const f = small;
    const check = createCanonicalProofCheck(f.checkpoint);
    for (let i = 0; i < 8; i++) {
      const r = f.records[i] as { seq: number; leaf: Uint8Array };
      expect(check(utf8(f.proofs[i] as string), r.seq, r.leaf)).toBe(true);
    }
    const r = f.records[8] as { seq: number; leaf: Uint8Array };
    const value = JSON.parse(f.proofs[8] as string) as { proof: string; seq: number };
    const parts = value.proof.split('\n');
    const blank = parts.indexOf('');
    for (let at = 2; at < blank; at++) {
      const spoilt = [...parts];
      spoilt[at] = toBase64(sha256(utf8(`x${at}`)));
      const line = utf8(JSON.stringify({ proof: spoilt.join('\n'), seq: value.seq }));
      expect(check(line, r.seq, r.leaf)).toBe(false);
    }
    expect(check(utf8(f.proofs[8] as string), r.seq, r.leaf)).toBe(true);
  });

  it('agrees with checkProofLine on the longest proof allowed and one char more (16 KiB)', () => {
    // A tree of one leaf: the proof has no hash and the root is the leaf; the note is long and not ASCII.
    const leaf = sha256(utf8('leaf'));
    const head = 'c2sp.org/tlog-proof@v1\nindex 0\n\n';
    for (const extra of [-1, 0, 1]) {
      const note = `log\n1\n${'—'.repeat(16_384 - head.length - 7 + extra)}\n`;
      const checkpoint: ProofCheckpoint = { note, checkpoint: { size: 1, root: leaf } };
      const line = utf8(canonicalize({ proof: `${head}${note}`, seq: 0 }));
      const slow = checkProofLine(line, 0, 0, leaf, checkpoint, createInclusionVerifier(1, leaf));
      expect(slow === undefined).toBe(extra <= 0);
      expect(createCanonicalProofCheck(checkpoint)(line, 0, leaf)).toBe(extra <= 0);
    }
  });
});
