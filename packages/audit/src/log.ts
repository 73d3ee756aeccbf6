import { type Signer, toBase64 } from '@agentguard/identity';
import { AuditError } from './errors.js';
import { hashBody, recordLine, recordSigningBytes } from './record.js';
import {
  type AuditEvent,
  AuditEventSchema,
  type AuditRecord,
  describeIssue,
  GENESIS_HASH,
  RECORD_VERSION,
} from './schema.js';
import type { AuditSink } from './sink.js';

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Where records go: one sink or several (each gets every record; all must succeed). */
  readonly sink: AuditSink | readonly AuditSink[];
  /**
   * Source of record timestamps.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
  /**
   * Continue an existing log: the number of records already in it and the `hash` of its last record.
   * @default a new, empty log
   */
  readonly resume?: { readonly size: number; readonly head: string };
  /**
   * Most lines handed to the sinks in one `write` (group commit).
   * @default 4096
   */
  readonly maxBatch?: number;
}

/** An append-only, hash-chained, signed audit log. */
export interface AuditLog {
  /**
   * Appends `event`, signed by `signer`. The record's place in the chain (`seq`,
   * `prev`) is fixed synchronously, in call order; the promise resolves with
   * the record once every sink reports it durable.
   *
   * @throws AuditError `ERR_AUDIT_EVENT_INVALID` (bad event or signer), `ERR_AUDIT_SINK_FAILED`
   *   (not written; not in the log), `ERR_AUDIT_CLOSED`.
   */
  append(event: AuditEvent, signer: Signer): Promise<AuditRecord>;
  /** Writes what is pending, then closes every sink. Idempotent. */
  close(): Promise<void>;
  /** Number of records durably written. */
  readonly size: number;
}

interface Slot {
  readonly seq: number;
  readonly hash: string;
  record?: AuditRecord;
  line?: string;
  error?: AuditError;
  dead?: boolean;
  readonly resolve: (record: AuditRecord) => void;
  readonly reject: (error: AuditError) => void;
}

/**
 * Creates an audit log writing to `options.sink`.
 *
 * Every record carries the `hash` of the one before (`prev`), its own `hash`
 * over its canonical content, and an Ed25519 signature of that hash by the
 * signer passed to `append`. Sinks receive lines strictly in `seq` order, in
 * batches: while one batch is being made durable the next one collects, so many
 * concurrent appends share one write (group commit).
 *
 * Failure semantics (fail closed): when signing or every sink fails, the
 * affected record and every record queued behind it are rejected with
 * `ERR_AUDIT_SINK_FAILED` and the chain rolls back to the last durable record,
 * so later appends continue a valid chain. When some sinks wrote a batch and
 * others did not, the sinks disagree and the log refuses all further appends.
 *
 * @param options - see {@link AuditLogOptions}.
 * @returns a frozen {@link AuditLog}.
 * @throws TypeError on bad options.
 * @example
 * ```ts
 * const sink = createMemorySink();
 * const log = createAuditLog({ sink });
 * await log.append({ type: 'call.requested', callId: 'c1', agent: agent.id, tool: 'search', data: {} }, agent);
 * await log.close();
 * ```
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const sinks: readonly AuditSink[] = Object.freeze(
    Array.isArray(options.sink) ? [...(options.sink as readonly AuditSink[])] : [options.sink as AuditSink],
  );
  if (sinks.length === 0 || sinks.some((s) => typeof s?.write !== 'function' || typeof s.close !== 'function')) {
    throw new TypeError('"sink" expected an AuditSink or a non-empty array of them');
  }
  const clock = options.clock ?? (() => new Date());
  if (typeof clock !== 'function') throw new TypeError('"clock" expected a function returning a Date');
  const maxBatch = options.maxBatch ?? 4096;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError('"maxBatch" expected a positive integer');
  const resume = options.resume ?? { size: 0, head: GENESIS_HASH };
  if (!Number.isSafeInteger(resume.size) || resume.size < 0 || !/^[0-9a-f]{64}$/.test(resume.head)) {
    throw new TypeError('"resume" expected { size: non-negative integer, head: 64 hex digits }');
  }

  // Durable state (what every sink holds) and the tip (what has been assigned).
  let durableSize = resume.size;
  let durableHead = resume.head;
  let nextSeq = durableSize;
  let head = durableHead;
  const queue: Slot[] = [];
  let writing = false;
  let closed = false;
  let broken: AuditError | undefined;
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  function timestamp(): string {
    const date = clock();
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', '"clock" returned something other than a valid Date');
    }
    return date.toISOString();
  }

  function rollBack(error: AuditError): void {
    for (const slot of queue.splice(0)) {
      slot.dead = true;
      slot.reject(error);
    }
    nextSeq = durableSize;
    head = durableHead;
  }

  function pump(): void {
    if (writing) return;
    const first = queue[0];
    if (first === undefined) {
      drained?.();
      return;
    }
    if (first.error !== undefined) {
      rollBack(first.error);
      drained?.();
      return;
    }
    const batch: Slot[] = [];
    for (const slot of queue) {
      if (slot.line === undefined || slot.error !== undefined || batch.length >= maxBatch) break;
      batch.push(slot);
    }
    if (batch.length === 0) return;
    writing = true;
    const lines = batch.map((s) => s.line as string);
    void Promise.allSettled(sinks.map((sink) => sink.write(lines))).then((results) => {
      writing = false;
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failures.length === 0) {
        queue.splice(0, batch.length);
        const last = batch[batch.length - 1] as Slot;
        durableSize = last.seq + 1;
        durableHead = last.hash;
        for (const slot of batch) slot.resolve(slot.record as AuditRecord);
      } else {
        const cause = failures[0]?.reason;
        const detail = cause instanceof Error ? cause.message : String(cause);
        if (failures.length < sinks.length) {
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
      pump();
    });
  }

  async function append(event: AuditEvent, signer: Signer): Promise<AuditRecord> {
    if (closed) throw new AuditError('ERR_AUDIT_CLOSED', 'audit log is closed');
    if (broken !== undefined) throw broken;
    const parsed = AuditEventSchema.safeParse(event);
    if (!parsed.success)
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', `invalid event: ${describeIssue(parsed.error)}`);
    if (typeof signer?.sign !== 'function' || typeof signer.id !== 'string') {
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', '"signer" expected a Signer (id, sign)');
    }
    const { data, ...rest } = parsed.data;
    const body: Record<string, unknown> = {
      v: RECORD_VERSION,
      seq: nextSeq,
      ts: timestamp(),
      prev: head,
      ...rest,
      ...(data === undefined ? {} : { data }),
      signer: signer.id,
    };
    let hash: string;
    try {
      hash = hashBody(body);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', `event is not plain JSON: ${detail}`, { cause });
    }
    // Everything up to here ran synchronously: seq and prev follow call order.
    let resolve: (record: AuditRecord) => void = () => {};
    let reject: (error: AuditError) => void = () => {};
    const promise = new Promise<AuditRecord>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const slot: Slot = { seq: nextSeq, hash, resolve, reject };
    queue.push(slot);
    nextSeq += 1;
    head = hash;
    try {
      const sig = await signer.sign(recordSigningBytes(hash));
      if (!(sig instanceof Uint8Array) || sig.length !== 64)
        throw new TypeError('signer returned no 64-byte signature');
      const record = { ...body, hash, sig: toBase64(sig) } as AuditRecord;
      slot.line = recordLine(record);
      slot.record = Object.freeze(record);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      slot.error = new AuditError('ERR_AUDIT_SINK_FAILED', `could not sign the record: ${detail}`, { cause });
    }
    if (!slot.dead) pump();
    return promise;
  }

  async function close(): Promise<void> {
    if (closing !== undefined) return closing;
    closed = true;
    closing = (async () => {
      if (queue.length > 0) {
        await new Promise<void>((done) => {
          drained = () => {
            if (queue.length === 0) done();
          };
          pump();
        });
      }
      const results = await Promise.allSettled(sinks.map((s) => s.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) {
        throw new AuditError('ERR_AUDIT_SINK_FAILED', `closing a sink failed: ${String(failed.reason)}`, {
          cause: failed.reason,
        });
      }
    })();
    return closing;
  }

  return Object.freeze({
    append,
    close,
    get size() {
      return durableSize;
    },
  });
}
