import { AuditError } from '../errors.js';

/**
 * Where record lines go. A sink receives whole lines (no newline), in log
 * order, one batch at a time; `write` resolves only when every line of the
 * batch is as durable as the sink promises (a file sink: on disk) and rejects
 * when any is not, in which case none of the batch may remain visible.
 */
export interface AuditSink {
  /**
   * Writes `lines` in order; resolves when they are durable. `batch` says where the batch stands in the
   * log's history of failures (see {@link SinkBatch}); a sink that takes one batch at a time may ignore it.
   */
  write(lines: readonly string[], batch?: SinkBatch): Promise<void>;
  /** Flushes and releases the sink; later writes reject with `ERR_AUDIT_CLOSED`. */
  close(): Promise<void>;
  /**
   * How many batches the sink takes before the first is durable (pipelined group commit: a file sink
   * overlaps its syncs). A sink that sets it above 1 promises that it writes batches in call order, that
   * each `write` resolves only after every earlier one has resolved and its own lines are durable, and
   * that when one fails, every later one with the same `batch.rollbacks` fails too (they chain from it),
   * none of their lines remain, and a write with a higher count comes after that undo. The log sends
   * nothing more once it knows a batch failed, and refuses further records if a sink keeps a batch sent
   * after a failed one. The log uses the smallest depth of its sinks.
   * @default 1 (one batch at a time)
   */
  readonly pipelineDepth?: number;
}

/** What the log tells a sink about a batch, beside its lines. */
export interface SinkBatch {
  /**
   * How many times the log had rolled back (after a failed batch) when it sent this batch. Batches with the
   * same count chain from one another: once one fails, a pipelined sink fails every later one with its count,
   * and only a batch with a higher count is the log's answer to the failure. The log, not the sink's timing,
   * says when a write comes after the rollback: the log may learn of a failure well after the sink reported it.
   */
  readonly rollbacks: number;
}

/** A sink that keeps lines in memory, for tests and short-lived tools. */
export interface MemorySink extends AuditSink {
  /** Every line written so far, in order. */
  readonly lines: readonly string[];
  /** The log as JSON Lines text (each line ends with a newline), ready for `verifyLog`. */
  text(): string;
}

/**
 * Creates an in-memory sink.
 *
 * @returns a sink whose `lines` are the records written, in order.
 * @example
 * ```ts
 * const sink = createMemorySink();
 * const log = createAuditLog({ sink });
 * await log.append({ type: 'call.requested', callId: 'c1', agent: agent.id, tool: 'search' }, agent);
 * verifyLog(sink.text(), { trust: [agent.id] }).ok; // true
 * ```
 */
export function createMemorySink(): MemorySink {
  const lines: string[] = [];
  let closed = false;
  return Object.freeze({
    lines,
    text: () => (lines.length === 0 ? '' : `${lines.join('\n')}\n`),
    async write(batch: readonly string[]) {
      if (closed) throw new AuditError('ERR_AUDIT_CLOSED', 'memory sink is closed');
      for (const line of batch) lines.push(line);
    },
    async close() {
      closed = true;
    },
  });
}
