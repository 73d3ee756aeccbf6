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
  /** Every message, one after another. */
  readonly messages: Uint8Array;
  /** `count + 1` offsets into `messages`: message i is `[ends[i], ends[i + 1])`. */
  readonly ends: Uint32Array;
}

/** One pending check: what to verify and what to report, at which line, if it fails. */
interface Pending {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly key: Uint8Array;
  readonly line: number;
  readonly problem: LineProblem;
}

/** Collects signature checks, then packs them into a {@link PackedBatch}. */
export class BatchBuilder {
  private pending: Pending[] = [];
  private bytes = 0;

  get size(): number {
    return this.pending.length;
  }

  /** Adds a check; `signature` must be 64 bytes and `key` 32 (the caller rejects other lengths at once). */
  add(signature: Uint8Array, message: Uint8Array, key: Uint8Array, line: number, problem: LineProblem): void {
    this.pending.push({ signature, message, key, line, problem });
    this.bytes += message.length;
  }

  /** Packs what was added and starts afresh; `where` tells, for a check's index, its line and problem. */
  take(): { batch: PackedBatch; where: (index: number) => { line: number; problem: LineProblem } } {
    const pending = this.pending;
    const count = pending.length;
    const signatures = new Uint8Array(count * 64);
    const keys = new Uint8Array(count * 32);
    const messages = new Uint8Array(this.bytes);
    const ends = new Uint32Array(count + 1);
    let at = 0;
    for (const [i, p] of pending.entries()) {
      signatures.set(p.signature, i * 64);
      keys.set(p.key, i * 32);
      messages.set(p.message, at);
      at += p.message.length;
      ends[i + 1] = at;
    }
    this.pending = [];
    this.bytes = 0;
    const where = (index: number) => {
      const p = pending[index] as Pending;
      return { line: p.line, problem: p.problem };
    };
    return { batch: { count, signatures, keys, messages, ends }, where };
  }
}

/**
 * Verifies a packed batch in order with the strict RFC 8032 rules of
 * `@agentguard/identity`.
 *
 * @returns the index of the first signature that does not verify, or -1.
 */
export function verifyPacked(batch: PackedBatch): number {
  const { count, signatures, keys, messages, ends } = batch;
  for (let i = 0; i < count; i++) {
    const ok = verify(
      signatures.subarray(i * 64, i * 64 + 64),
      messages.subarray(ends[i] as number, ends[i + 1] as number),
      keys.subarray(i * 32, i * 32 + 32),
    );
    if (!ok) return i;
  }
  return -1;
}

/** The buffers of a batch, to transfer rather than copy to a worker. */
export function transferList(batch: PackedBatch): ArrayBuffer[] {
  return [batch.signatures.buffer, batch.keys.buffer, batch.messages.buffer, batch.ends.buffer] as ArrayBuffer[];
}
