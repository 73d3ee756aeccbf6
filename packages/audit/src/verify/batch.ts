import { verify } from '@agentguard/identity';
import type { LineProblem } from './checker.js';

/**
 * A batch of Ed25519 signature checks packed into a few flat buffers, so that
 * it crosses to a worker thread as transferred memory rather than as a
 * structured clone of thousands of small objects. Internal.
 */
export interface PackedBatch {
  /** Number of checks. */
  readonly count: number;
  /** `count` signatures of 64 bytes. */
  readonly signatures: Uint8Array;
  /** `count` public keys of 32 bytes. */
  readonly keys: Uint8Array;
  /** Every distinct message, one after another. */
  readonly messages: Uint8Array;
  /** `count` offsets into `messages`: message i is `[starts[i], ends[i])`. */
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
}

/** One pending check: what to verify and what to report, at which line, if it fails. */
interface Pending {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly key: Uint8Array;
  readonly line: number;
  /** Order of the check in the whole log: of two failures on one line, the earlier is reported. */
  readonly order: number;
  readonly problem: LineProblem;
}

/** Where a failed check was, and what to report. */
export interface CheckPlace {
  readonly line: number;
  readonly order: number;
  readonly problem: LineProblem;
}

/**
 * Collects signature checks, then packs them into a {@link PackedBatch}. The signatures of one DSSE
 * envelope share one message (the same object), which is stored once: a line with many signatures
 * over a large payload costs its payload once, not once per signature.
 */
export class BatchBuilder {
  private pending: Pending[] = [];
  private distinct = 0;
  private last: Uint8Array | undefined;
  private checks = 0;

  /** Checks added since the last {@link BatchBuilder.take}. */
  get size(): number {
    return this.pending.length;
  }

  /** Bytes of distinct messages added since the last {@link BatchBuilder.take}. */
  get bytes(): number {
    return this.distinct;
  }

  /** Adds a check; `signature` must be 64 bytes and `key` 32 (the caller rejects other lengths at once). */
  add(signature: Uint8Array, message: Uint8Array, key: Uint8Array, line: number, problem: LineProblem): void {
    this.pending.push({ signature, message, key, line, order: this.checks++, problem });
    if (message !== this.last) this.distinct += message.length;
    this.last = message;
  }

  /** Packs what was added and starts afresh; `where` tells, for a check's index, where it was. */
  take(): { batch: PackedBatch; where: (index: number) => CheckPlace } {
    const pending = this.pending;
    const count = pending.length;
    const signatures = new Uint8Array(count * 64);
    const keys = new Uint8Array(count * 32);
    const messages = new Uint8Array(this.distinct);
    const starts = new Uint32Array(count);
    const ends = new Uint32Array(count);
    let at = 0;
    let previous: Uint8Array | undefined;
    for (const [i, p] of pending.entries()) {
      signatures.set(p.signature, i * 64);
      keys.set(p.key, i * 32);
      if (p.message !== previous || i === 0) {
        messages.set(p.message, at);
        at += p.message.length;
      }
      previous = p.message;
      starts[i] = at - p.message.length;
      ends[i] = at;
    }
    this.pending = [];
    this.distinct = 0;
    this.last = undefined;
    const where = (index: number): CheckPlace => {
      const p = pending[index] as Pending;
      return { line: p.line, order: p.order, problem: p.problem };
    };
    return { batch: { count, signatures, keys, messages, starts, ends }, where };
  }
}

/**
 * Verifies a packed batch in order with the strict RFC 8032 rules of
 * `@agentguard/identity`.
 *
 * @returns the index of the first signature that does not verify, or -1.
 */
export function verifyPacked(batch: PackedBatch): number {
  const { count, signatures, keys, messages, starts, ends } = batch;
  for (let i = 0; i < count; i++) {
    const ok = verify(
      signatures.subarray(i * 64, i * 64 + 64),
      messages.subarray(starts[i] as number, ends[i] as number),
      keys.subarray(i * 32, i * 32 + 32),
    );
    if (!ok) return i;
  }
  return -1;
}
