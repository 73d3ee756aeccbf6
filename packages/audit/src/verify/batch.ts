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

/** Where a failed check was, and what to report. */
export interface CheckPlace {
  readonly line: number;
  readonly order: number;
  readonly problem: LineProblem;
}

/** A typed array at least `size` long, holding what `array` held. */
function grown<T extends Uint8Array | Uint32Array | Float64Array>(array: T, size: number, make: (n: number) => T): T {
  if (array.length >= size) return array;
  const bigger = make(Math.max(size, array.length * 2));
  bigger.set(array);
  return bigger;
}

/**
 * Collects signature checks, packing each into flat buffers as it is added (so a check's own arrays are garbage
 * at once, not held until its batch is verified), then hands them over as a {@link PackedBatch}. The signatures of
 * one DSSE envelope share one message (the same object), which is stored once: a line with many signatures over
 * a large payload costs its payload once, not once per signature.
 */
export class BatchBuilder {
  private count = 0;
  private signatures = new Uint8Array(64 * 64);
  private keys = new Uint8Array(64 * 32);
  private messages = new Uint8Array(64 * 128);
  private starts = new Uint32Array(64);
  private ends = new Uint32Array(64);
  private lines = new Float64Array(64);
  private orders = new Float64Array(64);
  private problems: LineProblem[] = [];
  private distinct = 0;
  private last: Uint8Array | undefined;
  private checks = 0;

  /** Checks added since the last {@link BatchBuilder.take}. */
  get size(): number {
    return this.count;
  }

  /** Bytes of distinct messages added since the last {@link BatchBuilder.take}. */
  get bytes(): number {
    return this.distinct;
  }

  /** Adds a check; `signature` must be 64 bytes and `key` 32 (the caller rejects other lengths at once). */
  add(signature: Uint8Array, message: Uint8Array, key: Uint8Array, line: number, problem: LineProblem): void {
    const i = this.count;
    this.signatures = grown(this.signatures, (i + 1) * 64, (n) => new Uint8Array(n));
    this.keys = grown(this.keys, (i + 1) * 32, (n) => new Uint8Array(n));
    this.starts = grown(this.starts, i + 1, (n) => new Uint32Array(n));
    this.ends = grown(this.ends, i + 1, (n) => new Uint32Array(n));
    this.lines = grown(this.lines, i + 1, (n) => new Float64Array(n));
    this.orders = grown(this.orders, i + 1, (n) => new Float64Array(n));
    this.signatures.set(signature, i * 64);
    this.keys.set(key, i * 32);
    if (message !== this.last || i === 0) {
      this.messages = grown(this.messages, this.distinct + message.length, (n) => new Uint8Array(n));
      this.messages.set(message, this.distinct);
      this.distinct += message.length;
    }
    this.last = message;
    this.starts[i] = this.distinct - message.length;
    this.ends[i] = this.distinct;
    this.lines[i] = line;
    this.orders[i] = this.checks++;
    this.problems[i] = problem;
    this.count = i + 1;
  }

  /** Packs what was added and starts afresh; `where` tells, for a check's index, where it was. */
  take(): { batch: PackedBatch; where: (index: number) => CheckPlace } {
    const count = this.count;
    const batch: PackedBatch = {
      count,
      signatures: this.signatures.slice(0, count * 64),
      keys: this.keys.slice(0, count * 32),
      messages: this.messages.slice(0, this.distinct),
      starts: this.starts.slice(0, count),
      ends: this.ends.slice(0, count),
    };
    const lines = this.lines.slice(0, count);
    const orders = this.orders.slice(0, count);
    const problems = this.problems;
    this.problems = [];
    this.count = 0;
    this.distinct = 0;
    this.last = undefined;
    const where = (index: number): CheckPlace => ({
      line: lines[index] as number,
      order: orders[index] as number,
      problem: problems[index] as LineProblem,
    });
    return { batch, where };
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
