import { AuditError } from '../errors.js';
import type { AuditRecord } from '../record/schema.js';
import { createDeadlines, effectUnknown, settleWithin } from './deadline.js';
import type { AuditSink, SinkBatch } from './sink.js';

/** A record's place in the log, reserved synchronously and filled in once signed. */
export interface Slot {
  readonly seq: number;
  readonly hash: string;
  readonly promise: Promise<AuditRecord>;
  record?: AuditRecord;
  line?: string;
  error?: AuditError;
  dead?: boolean;
  resolve(record: AuditRecord): void;
  reject(error: AuditError): void;
}

/** The ordered, batching, fail-closed writer behind an audit log. Internal. */
export interface Writer {
  /** Reserves the next `seq` for a record whose hash is `hash`; it becomes the chain's head. */
  reserve(hash: string): Slot;
  /** The slot's record is signed: queue its line. */
  ready(slot: Slot, line: string, record: AuditRecord): void;
  /** The slot's record could not be made: it and everything after it are rolled back. */
  fail(slot: Slot, error: AuditError): void;
  readonly nextSeq: number;
  readonly head: string;
  readonly durableSize: number;
  /** False once sinks disagreed: no record can be written any more. */
  readonly usable: boolean;
  checkUsable(): void;
  /** Waits for every queued record to settle, then closes the sinks. */
  close(): Promise<void>;
}

interface WriterOptions {
  readonly sinks: readonly AuditSink[];
  readonly maxBatch: number;
  /** How long a sink's `write` or `close` may take before it counts as failed, with unknown effect. */
  readonly timeoutMs: number;
  readonly start: { readonly size: number; readonly head: string };
  onDurable(slot: Slot): void;
  onRollBack(size: number): void;
}

/** Most batches a pipelined sink may hold in flight, whatever it asks for. */
export const MAX_PIPELINE_DEPTH = 8;

/**
 * Most records a further batch waits for while another is in flight and later records are still being signed. It
 * waits for half of the records not yet sent, up to this: with many callers, a sync then carries a large batch
 * instead of a few records (measured with 64 callers and a signing thread: 22,100 records/s at 24 against 19,200
 * at a flat 8); with few callers, it waits for no more than can come.
 */
export const PIPELINED_BATCH = 24;

const isFailure = (result: PromiseSettledResult<void>): boolean => result.status === 'rejected';

/** A batch handed to the sinks and not yet settled. */
interface Batch {
  readonly slots: readonly Slot[];
  results?: readonly PromiseSettledResult<void>[];
}

/**
 * How many batches may be in flight: the smallest `pipelineDepth` of the sinks (1 unless every sink
 * declares more), at most {@link MAX_PIPELINE_DEPTH}.
 */
function pipelineDepth(sinks: readonly AuditSink[]): number {
  let depth = MAX_PIPELINE_DEPTH;
  for (const sink of sinks) {
    const d = sink.pipelineDepth ?? 1;
    depth = Math.min(depth, Number.isSafeInteger(d) && d > 1 ? d : 1);
  }
  return depth;
}

/**
 * Sinks receive lines strictly in `seq` order, in batches; while one batch is in flight the next
 * collects (group commit). A sink whose `pipelineDepth` is above 1 (every sink must) may hold that many
 * batches in flight, so their syncs overlap; batches still settle strictly in order. When a record
 * cannot be signed, or every sink fails, it and every record reserved after it (they chain from it) are
 * rejected and the tip rolls back to the last durable record.
 */
export function createWriter(options: WriterOptions): Writer {
  const { sinks, maxBatch } = options;
  const depth = pipelineDepth(sinks);
  let durableSize = options.start.size;
  let durableHead = options.start.head;
  let nextSeq = durableSize;
  let head = durableHead;
  // Every reserved slot not yet durable, in seq order; the first `sent` of them are in flight.
  const queue: Slot[] = [];
  let sent = 0;
  let inFlight: Batch[] = [];
  /**
   * Batches rolled back while still in flight: sent after a batch that failed, so they chain from records that are
   * not durable. Nothing more is sent until each has settled, and if a sink made one durable anyway, that sink holds
   * records after a gap: the log refuses further records rather than write more after them.
   */
  const discarded = new Set<Batch>();
  /** How many times the log rolled back: sent with each batch, so a pipelined sink knows what chains from what. */
  let rollbacks = 0;
  let broken: AuditError | undefined;
  let drained: (() => void) | undefined;
  // One timer for every write in flight (the deadlines all have the same length), not one per batch: with one
  // caller at a time, every record is a batch, and a timer each was a visible share of appending it.
  const writeWithin = createDeadlines(options.timeoutMs);
  const sinkNames = sinks.map((_, i) => `audit sink ${i}`);

  function rollBack(error: AuditError): void {
    for (const slot of queue.splice(0)) {
      slot.dead = true;
      slot.reject(error);
    }
    // Batches still in flight were rejected with the rest; each is watched until it settles (see `discarded`).
    for (const batch of inFlight) {
      if (batch.results === undefined) discarded.add(batch);
      else if (keptAfterFailure(batch.results)) keptOrphan();
    }
    inFlight = [];
    rollbacks += 1;
    sent = 0;
    nextSeq = durableSize;
    head = durableHead;
    options.onRollBack(durableSize);
  }

  /** Settles finished batches strictly in order: a later batch never becomes durable before an earlier one. */
  function settleInOrder(): void {
    for (let batch = inFlight[0]; batch?.results !== undefined; batch = inFlight[0]) {
      inFlight.shift();
      settle(batch, batch.results);
    }
    pump();
  }

  function settle(batch: Batch, results: readonly PromiseSettledResult<void>[]): void {
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length === 0) {
      queue.splice(0, batch.slots.length);
      sent -= batch.slots.length;
      const last = batch.slots[batch.slots.length - 1] as Slot;
      durableSize = last.seq + 1;
      durableHead = last.hash;
      for (const slot of batch.slots) {
        options.onDurable(slot);
        slot.resolve(slot.record as AuditRecord);
      }
      return;
    }
    const cause = failures[0]?.reason;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const unknown = failures.find((f) => effectUnknown(f.reason));
    if (unknown !== undefined) {
      // The batch may or may not be in the sink: continuing from the last durable record could write a
      // second, different record with the same seq after it. Fail closed: no record is written any more.
      const what = unknown.reason instanceof Error ? unknown.reason.message : String(unknown.reason);
      broken = new AuditError(
        'ERR_AUDIT_SINK_FAILED',
        `audit sink failed with unknown effect (${what}); the log refuses further records: reopen it to continue`,
        { cause: unknown.reason },
      );
      rollBack(broken);
    } else if (failures.length < sinks.length) {
      broken = new AuditError(
        'ERR_AUDIT_SINK_FAILED',
        `sinks disagree: ${failures.length} of ${sinks.length} failed (${detail}); the log refuses further records`,
        { cause },
      );
      rollBack(broken);
    } else {
      rollBack(new AuditError('ERR_AUDIT_SINK_FAILED', `audit sink failed: ${detail}`, { cause }));
    }
  }

  /** Whether any sink made a batch durable: for a batch sent after a failed one, a record after a gap. */
  function keptAfterFailure(results: readonly PromiseSettledResult<void>[]): boolean {
    return results.some((r) => r.status === 'fulfilled');
  }

  /** A sink kept records sent after a batch that failed: fail closed, as for a write of unknown effect. */
  function keptOrphan(): void {
    if (broken !== undefined) return;
    broken = new AuditError(
      'ERR_AUDIT_SINK_FAILED',
      'an audit sink kept records written after a batch that failed (they chain from records it does not hold); the log refuses further records: reopen it to continue',
    );
    rollBack(broken);
  }

  function pump(): void {
    // A batch in flight has failed, or batches rolled back are still in flight: anything sent now would follow
    // records that may never be durable. The failed batch settles in order, and rolls back; then sending resumes.
    if (discarded.size > 0 || inFlight.some((b) => b.results?.some(isFailure) === true)) return;
    while (inFlight.length < depth) {
      const first = queue[sent];
      if (first === undefined) {
        if (inFlight.length === 0) drained?.();
        return;
      }
      if (first.error !== undefined) {
        // Roll back only once everything before the failed record has settled (it may still become durable).
        if (inFlight.length > 0) return;
        rollBack(first.error);
        drained?.();
        return;
      }
      const slots: Slot[] = [];
      for (let i = sent; i < queue.length; i++) {
        const slot = queue[i] as Slot;
        if (slot.line === undefined || slot.error !== undefined || slots.length >= maxBatch) break;
        slots.push(slot);
      }
      if (slots.length === 0) return;
      // With a batch already in flight, a small batch would spend a pipeline slot (a sync) on a few records while
      // the records still being signed wait behind it: it is sent once it holds half of the records not yet sent
      // (at most PIPELINED_BATCH), or once nothing is in flight (the settling batch pumps again).
      const more = queue[sent + slots.length];
      const signing = more !== undefined && more.line === undefined && more.error === undefined;
      const worth = Math.min(PIPELINED_BATCH, maxBatch, (queue.length - sent) >> 1);
      if (inFlight.length > 0 && signing && slots.length < worth) return;
      send(slots);
    }
  }

  function send(slots: Slot[]): void {
    const batch: Batch = { slots };
    inFlight.push(batch);
    sent += slots.length;
    // Frozen: every sink gets the same array, and none may change what the next one writes.
    const lines = Object.freeze(slots.map((s) => s.line as string));
    const told: SinkBatch = Object.freeze({ rollbacks });
    const writes = sinks.map((sink, i) => writeWithin(() => sink.write(lines, told), sinkNames[i] as string));
    void Promise.allSettled(writes).then((results) => {
      if (!inFlight.includes(batch)) {
        // Rolled back meanwhile: its records are rejected already. Kept by a sink, they sit after a gap.
        if (discarded.delete(batch)) {
          if (keptAfterFailure(results)) keptOrphan();
          pump();
        }
        return;
      }
      batch.results = results;
      settleInOrder();
    });
  }

  return {
    reserve(hash) {
      let resolve: (record: AuditRecord) => void = () => {};
      let reject: (error: AuditError) => void = () => {};
      const promise = new Promise<AuditRecord>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      const slot: Slot = { seq: nextSeq, hash, promise, resolve, reject };
      queue.push(slot);
      nextSeq += 1;
      head = hash;
      return slot;
    },
    ready(slot, line, record) {
      if (slot.dead) return;
      slot.line = line;
      slot.record = record;
      pump();
    },
    fail(slot, error) {
      if (slot.dead) return;
      slot.error = error;
      pump();
    },
    get nextSeq() {
      return nextSeq;
    },
    get head() {
      return head;
    },
    get durableSize() {
      return durableSize;
    },
    get usable() {
      return broken === undefined;
    },
    checkUsable() {
      if (broken !== undefined) throw broken;
    },
    async close() {
      if (queue.length > 0) {
        await new Promise<void>((done) => {
          drained = () => {
            if (queue.length === 0) done();
          };
          pump();
        });
      }
      const results = await Promise.allSettled(
        sinks.map((s, i) => settleWithin(() => s.close(), options.timeoutMs, `closing audit sink ${i}`)),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) {
        const detail = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
        throw new AuditError('ERR_AUDIT_SINK_FAILED', `closing a sink failed: ${detail}`, { cause: failed.reason });
      }
    },
  };
}
