import type { Signer } from '@agentguard/identity';
import { bytesEqual, canonicalHasProtoMember, toBase64, utf8 } from '@agentguard/statement';
import { publicKeyOfDid } from '../record/envelope.js';
import { AuditError } from '../errors.js';
import { checkEvent } from './event-check.js';
import { MerkleTree, textHashes } from '../tree/merkle.js';
import { formatCheckpoint, isValidKeyName, joinNote, signatureBlob } from '../checkpoint/note.js';
import {
  type CanonicalBody,
  canonicalBody,
  lineBytes,
  RECORD_MAX_BYTES,
  recordSigningBytes,
} from '../record/record.js';
import {
  type AuditEvent,
  type AuditRecord,
  type CheckpointRecord,
  DID_KEY,
  GENESIS_HASH,
  RECORD_VERSION,
  TIMESTAMP,
} from '../record/schema.js';
import type { AuditSink } from './sink.js';
import { createDeadlines } from './deadline.js';
import { createWriter } from './writer.js';

/** Default of {@link AuditLogOptions.writeTimeoutMs}: 30 s. */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;
/** Largest timeout `setTimeout` keeps (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** When and by whom checkpoints are signed. */
export interface CheckpointOptions {
  /** The log's own key: signs every checkpoint (and its record). */
  readonly signer: Signer;
  /**
   * The log's origin line and signed-note key name; unique per log. No spaces or '+'.
   * @default the resumed log's origin, else `agentguard-audit/<signer did:key>`
   */
  readonly origin?: string;
  /**
   * Write a checkpoint after this many records (0: never by count).
   * @default 1000
   */
  readonly everyRecords?: number;
  /**
   * Write a checkpoint this often, in ms, when records were added since the last (0: never by time).
   * @default 10_000
   */
  readonly everyMs?: number;
}

/** Where an existing log left off, to continue it (from `readLogState`). */
export interface ResumeState {
  readonly records: number;
  readonly head: string;
  readonly tree: MerkleTree;
  readonly checkpoint: { readonly size: number; readonly note: string } | undefined;
  /** The origin of the log's checkpoints, if it has any. */
  readonly origin?: string | undefined;
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Where records go: one sink or several (each gets every record; all must succeed). */
  readonly sink: AuditSink | readonly AuditSink[];
  /**
   * Source of record timestamps, epoch milliseconds. A clock that throws or returns a non-finite number, or a
   * time outside years 0000-9999, makes the append fail with `ERR_AUDIT_EVENT_INVALID` (nothing is written).
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Signed checkpoints (c2sp.org/tlog-checkpoint) by the log's own key: every N records, every T ms, and at close.
   * @default none (records are hash-chained and signed, but no checkpoints are written)
   */
  readonly checkpoint?: CheckpointOptions;
  /**
   * Continue an existing log.
   * @default a new, empty log
   */
  readonly resume?: ResumeState;
  /**
   * Most lines handed to the sinks in one `write` (group commit).
   * @default 4096
   */
  readonly maxBatch?: number;
  /**
   * How long, in ms, a sink's `write` or `close` and a signer's `sign` may take. A sink that does not
   * answer in time (or throws instead of returning a promise) fails the append with
   * `ERR_AUDIT_SINK_FAILED`, and since whether it wrote is then unknown, the log refuses every later
   * append (reopen the file to continue: the reader finds what was really written). A signer that does
   * not answer fails the append and the records queued behind it; the log stays usable.
   * @default 30_000
   */
  readonly writeTimeoutMs?: number;
}

/** An append-only, hash-chained, signed audit log with an RFC 9162 Merkle tree. */
export interface AuditLog {
  /**
   * Appends `event`, signed by `signer`. The record's place in the chain (`seq`,
   * `prev`) is fixed synchronously, in call order; the promise resolves with
   * the record once every sink reports it durable.
   *
   * @throws AuditError `ERR_AUDIT_EVENT_INVALID` (bad event or signer), `ERR_AUDIT_RECORD_TOO_LARGE` (the
   *   record's line would exceed `RECORD_MAX_BYTES`: refused before anything is written or placed, the log
   *   stays usable), `ERR_AUDIT_SINK_FAILED` (not written; not in the log), `ERR_AUDIT_CLOSED`.
   */
  append(event: AuditEvent, signer: Signer): Promise<AuditRecord>;
  /**
   * Throughput mode: appends `event` without a per-record signature. The record names the log key as
   * `signer` and is covered by the next checkpoint (every N records, every T ms, at close), so it is
   * authenticated through its inclusion proof; until then nothing vouches for it. Resolves once durable.
   *
   * @throws TypeError when the log has no checkpoint signer; AuditError as `append`.
   */
  appendBatched(event: AuditEvent): Promise<AuditRecord>;
  /**
   * Writes a signed checkpoint of every record so far; resolves with the signed note once durable.
   * @throws TypeError when the log has no checkpoint signer; AuditError as `append`.
   */
  checkpoint(): Promise<string>;
  /** Writes what is pending and a final checkpoint (when configured), then closes every sink. Idempotent. */
  close(): Promise<void>;
  /** Number of records durably written. */
  readonly size: number;
  /** The latest durable signed checkpoint (signed-note text), if any. */
  readonly latestCheckpoint: string | undefined;
  /** RFC 9162 inclusion proof of record `index` in the tree of the first `size` durable records. */
  inclusionProof(index: number, size?: number): Uint8Array[];
  /** RFC 9162 consistency proof between the trees of the first `size1` and `size2` durable records. */
  consistencyProof(size1: number, size2?: number): Uint8Array[];
  /** RFC 9162 root hash of the first `size` durable records. */
  root(size?: number): Uint8Array;
}

function positiveOrZero(value: unknown, name: string, fallback: number): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`"${name}" expected a non-negative integer, got ${String(value)}`);
  }
  return n;
}

/** What a batched record adds to its body besides its hash: nothing. */
const NO_SIGNATURES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Creates an audit log writing to `options.sink`.
 *
 * Every record carries the `hash` of the one before (`prev`), its own `hash`
 * over its canonical content, and an Ed25519 signature of that hash by the
 * signer passed to `append`; every record is also a leaf of an RFC 9162 Merkle
 * tree, whose root the log's own key signs in checkpoint records. Sinks receive
 * lines strictly in `seq` order, in batches: while one batch is being made
 * durable the next one collects, so concurrent appends share one write (group commit).
 *
 * Failure semantics (fail closed): when signing or every sink fails, the
 * affected record and every record queued behind it are rejected with
 * `ERR_AUDIT_SINK_FAILED` and the chain rolls back to the last durable record,
 * so later appends continue a valid chain. When some sinks wrote a batch and
 * others did not, the sinks disagree and the log refuses all further appends; so
 * it does when a sink does not answer within `writeTimeoutMs` or throws instead of
 * rejecting (what it wrote is unknown, and going on could fork the chain).
 *
 * Size (contract with every reader): a record whose line would exceed
 * `RECORD_MAX_BYTES`, nest deeper than `RECORD_MAX_DEPTH`, or hold anything else a
 * reader refuses (a member named `__proto__`, a year past 9999, a signer that is
 * not an Ed25519 did:key) is refused before it is placed: what this log writes,
 * `verifyLog` reads and `openFileAuditLog` reopens.
 *
 * @param options - see {@link AuditLogOptions}.
 * @returns a frozen {@link AuditLog}.
 * @throws TypeError or RangeError on bad options.
 * @example
 * ```ts
 * const sink = createMemorySink();
 * const log = createAuditLog({ sink, checkpoint: { signer: logKey } });
 * await log.append({ type: 'call.requested', callId: 'c1', agent: agent.id, tool: 'search', data: {} }, agent);
 * await log.close(); // writes a final signed checkpoint
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
  const clock = options.clock === undefined ? Date.now : options.clock;
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  const maxBatch = options.maxBatch ?? 4096;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError('"maxBatch" expected a positive integer');
  const timeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new RangeError(`"writeTimeoutMs" expected an integer from 1 to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`);
  }
  const resume = options.resume;
  if (resume !== undefined && (!(resume.tree instanceof MerkleTree) || resume.tree.size !== resume.records)) {
    throw new TypeError('"resume" expected the state of an existing log (readLogState)');
  }
  const cp = options.checkpoint;
  if (cp !== undefined && (typeof cp.signer?.sign !== 'function' || typeof cp.signer.id !== 'string')) {
    throw new TypeError('"checkpoint.signer" expected a Signer');
  }
  const badLogKey = cp === undefined ? undefined : signerProblem(cp.signer);
  if (badLogKey !== undefined) throw new TypeError(`"checkpoint.signer" expected a Signer whose ${badLogKey}`);
  // A resumed log keeps its origin: one log, one origin (verification refuses a change).
  const origin = cp === undefined ? '' : (cp.origin ?? resume?.origin ?? `agentguard-audit/${cp.signer.id}`);
  if (cp !== undefined && resume?.origin !== undefined && origin !== resume.origin) {
    throw new TypeError(`"checkpoint.origin" is "${origin}" but the log's checkpoints use "${resume.origin}"`);
  }
  if (cp !== undefined && !isValidKeyName(origin)) {
    throw new TypeError('"checkpoint.origin" expected printable ASCII without spaces or "+"');
  }
  const everyRecords = positiveOrZero(cp?.everyRecords, 'checkpoint.everyRecords', 1000);
  const everyMs = positiveOrZero(cp?.everyMs, 'checkpoint.everyMs', 10_000);

  const tree = resume?.tree ?? new MerkleTree();
  // Every signature of this log has the same time limit: one timer serves them all.
  const signWithin = createDeadlines(timeoutMs);
  // Checkpoint state at the tip (assigned) and durable.
  let tipCheckpointSize = resume?.checkpoint?.size ?? -1;
  let durableCheckpoint = resume?.checkpoint;
  let closed = false;
  let closing: Promise<void> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const writer = createWriter({
    sinks,
    maxBatch,
    timeoutMs,
    start: { size: resume?.records ?? 0, head: resume?.head ?? GENESIS_HASH },
    onDurable(slot) {
      const record = slot.record as AuditRecord;
      if (record.type === 'checkpoint' && 'noteSig' in record) {
        durableCheckpoint = { size: record.seq, note: joinNote(record.note, origin, record.noteSig) };
      }
    },
    onRollBack(size) {
      tree.truncate(size);
      tipCheckpointSize = durableCheckpoint?.size ?? -1;
    },
  });

  // The last time written: records made within one millisecond share its text (formatted once).
  let lastMs = Number.NaN;
  let lastTs = '';
  function timestamp(): string {
    const ms = clock();
    if (ms === lastMs) return lastTs;
    // ±8.64e15 ms is the range of a Date (ECMA-262 §21.4.1.22); beyond it toISOString throws.
    if (typeof ms !== 'number' || !(Math.abs(ms) <= 8.64e15)) {
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', `"clock" expected to return finite epoch ms, got ${String(ms)}`);
    }
    const ts = new Date(ms).toISOString();
    // Readers accept only the four-digit-year form; toISOString writes ±YYYYYY outside years 0-9999.
    if (!TIMESTAMP.test(ts))
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', `"clock" returned ${ts}, outside years 0000-9999`);
    lastMs = ms;
    lastTs = ts;
    return ts;
  }

  /**
   * Places `body` in the chain and the tree (synchronously), then signs (`finish`, which gives the members the
   * signatures add: `sig`, and `noteSig` for a checkpoint; none for a batched record) and queues it. Everything a
   * reader would refuse is refused here first, before the chain, tree or seq move: the log stays usable.
   */
  function place(
    body: Record<string, unknown>,
    fields: { readonly sig: boolean; readonly noteSig: boolean },
    finish: ((hash: string) => Promise<Readonly<Record<string, string>>>) | undefined,
  ): Promise<AuditRecord> {
    let canonical: CanonicalBody;
    let digest: { hash: string; leaf: Uint8Array; bytes: number };
    try {
      canonical = canonicalBody(body);
      const hashes = textHashes(canonical.text);
      digest = { hash: hashes.hex, leaf: hashes.leaf, bytes: hashes.bytes };
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', `event is not plain JSON: ${detail}`, { cause });
    }
    if (canonicalHasProtoMember(canonical.text)) {
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', 'event holds a member named "__proto__", which readers refuse');
    }
    const size = lineBytes(digest.bytes, fields);
    if (size > RECORD_MAX_BYTES) {
      throw new AuditError(
        'ERR_AUDIT_RECORD_TOO_LARGE',
        `record would be ${size} bytes, more than RECORD_MAX_BYTES (${RECORD_MAX_BYTES}); nothing was written`,
      );
    }
    const slot = writer.reserve(digest.hash);
    tree.append(digest.leaf);
    // The slot is reserved: whatever happens now must end in ready or fail, or the writer would wait forever.
    const settle = (signatures: Readonly<Record<string, string>>, what: string) => {
      try {
        // The body's members are canonicalised already: only `hash` and the signatures are added to the line.
        const added = { hash: digest.hash, ...signatures };
        const line = canonical.lineWith(added);
        // The body is this log's own object, made for this record: it becomes the record (no copy).
        writer.ready(slot, line, Object.freeze(Object.assign(body, added)) as AuditRecord);
      } catch (cause) {
        const detail = cause instanceof Error ? cause.message : String(cause);
        writer.fail(
          slot,
          new AuditError('ERR_AUDIT_SINK_FAILED', `could not ${what} the record: ${detail}`, { cause }),
        );
      }
    };
    if (finish === undefined) {
      // Nothing to sign (a batched record): no foreign code runs, so there is no deadline to keep. Still queued on
      // a microtask, never inside append: a sink's write must not run (and maybe append again) inside an append.
      queueMicrotask(() => settle(NO_SIGNATURES, 'write'));
      return slot.promise;
    }
    void signWithin(() => finish(digest.hash), 'the signer').then(
      (signatures) => settle(signatures, 'write'),
      (cause: unknown) => {
        const detail = cause instanceof Error ? cause.message : String(cause);
        writer.fail(slot, new AuditError('ERR_AUDIT_SINK_FAILED', `could not sign the record: ${detail}`, { cause }));
      },
    );
    return slot.promise;
  }

  // Async: a clock or size failure becomes a rejection (callers swallow it), never a throw out of a
  // timer (a crash) or out of append after its own record was placed. What runs before the first
  // await (all of it) still runs synchronously, so the checkpoint's place in the chain is fixed now.
  async function writeCheckpoint(): Promise<AuditRecord> {
    const signer = (cp as CheckpointOptions).signer;
    const size = writer.nextSeq;
    const ts = timestamp();
    const note = formatCheckpoint({ origin, size, root: tree.root(size), extensions: [`time ${ts}`] });
    const body = { v: RECORD_VERSION, seq: size, ts, prev: writer.head, type: 'checkpoint', note, signer: signer.id };
    const placed = place(body, { sig: true, noteSig: true }, async (hash) => {
      const [sig, noteSignature] = await Promise.all([signer.sign(recordSigningBytes(hash)), signer.sign(utf8(note))]);
      checkSignature(sig);
      checkSignature(noteSignature);
      return { sig: toBase64(sig), noteSig: signatureBlob(origin, signer.publicKey, noteSignature) };
    });
    tipCheckpointSize = size;
    return placed;
  }

  function checkState(): void {
    if (closed) throw new AuditError('ERR_AUDIT_CLOSED', 'audit log is closed');
    writer.checkUsable();
  }

  function appendBatched(event: AuditEvent): Promise<AuditRecord> {
    if (cp === undefined) {
      return Promise.reject(new TypeError('batched records need a checkpoint signer (options.checkpoint)'));
    }
    return append(event, cp.signer, true);
  }

  // Not an async function: the caller awaits the slot's own promise, not one wrapping it (two fewer turns of
  // the microtask queue per record). Anything thrown before the record is placed is still a rejection.
  function append(event: AuditEvent, signer: Signer, batched = false): Promise<AuditRecord> {
    try {
      return placeEvent(event, signer, batched);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function placeEvent(event: AuditEvent, signer: Signer, batched: boolean): Promise<AuditRecord> {
    checkState();
    // One call: the event's shape (and any contract on its data) is checked, and copied, here.
    const checked = checkEvent(event);
    if (typeof signer?.sign !== 'function' || typeof signer.id !== 'string') {
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', '"signer" expected a Signer (id, sign)');
    }
    const badSigner = signerProblem(signer);
    if (badSigner !== undefined) {
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', `"signer" expected a Signer whose ${badSigner}`);
    }
    const { data, ...rest } = checked;
    const body: Record<string, unknown> = {
      v: RECORD_VERSION,
      seq: writer.nextSeq,
      ts: timestamp(),
      prev: writer.head,
      ...rest,
      ...(data === undefined ? {} : { data }),
      signer: signer.id,
    };
    // Everything up to the end of place() runs synchronously: seq and prev follow call order.
    const placed = place(
      body,
      { sig: !batched, noteSig: false },
      batched
        ? undefined
        : async (hash) => {
            const sig = await signer.sign(recordSigningBytes(hash));
            checkSignature(sig);
            return { sig: toBase64(sig) };
          },
    );
    if (cp !== undefined && everyRecords > 0 && writer.nextSeq - (tipCheckpointSize + 1) >= everyRecords) {
      void writeCheckpoint().catch(() => {});
    }
    return placed;
  }

  async function checkpoint(): Promise<string> {
    if (cp === undefined) throw new TypeError('this audit log has no checkpoint signer (options.checkpoint)');
    checkState();
    const record = (await writeCheckpoint()) as CheckpointRecord;
    return joinNote(record.note, origin, record.noteSig);
  }

  if (cp !== undefined && everyMs > 0) {
    timer = setInterval(() => {
      if (!closed && writer.usable && writer.nextSeq > tipCheckpointSize + 1) void writeCheckpoint().catch(() => {});
    }, everyMs);
    // A checkpoint timer must never keep a process alive.
    if (typeof timer === 'object' && 'unref' in timer) timer.unref();
  }

  async function close(): Promise<void> {
    if (closing !== undefined) return closing;
    closed = true;
    if (timer !== undefined) clearInterval(timer);
    const final =
      cp !== undefined && writer.usable && writer.nextSeq > tipCheckpointSize + 1
        ? writeCheckpoint().then(
            () => undefined,
            () => undefined,
          )
        : Promise.resolve();
    closing = final.then(() => writer.close());
    return closing;
  }

  const durable = (size: number | undefined) => {
    const n = size ?? writer.durableSize;
    if (n > writer.durableSize) throw new RangeError(`"size" expected at most ${writer.durableSize} (durable records)`);
    return n;
  };

  return Object.freeze({
    append: (event: AuditEvent, signer: Signer) => append(event, signer),
    appendBatched,
    checkpoint,
    close,
    get size() {
      return writer.durableSize;
    },
    get latestCheckpoint() {
      return durableCheckpoint?.note;
    },
    inclusionProof: (index: number, size?: number) => tree.inclusionProof(index, durable(size)),
    consistencyProof: (size1: number, size2?: number) => tree.consistencyProof(size1, durable(size2)),
    root: (size?: number) => tree.root(durable(size)),
  });
}

/** did:key → public key of recent signers: a log signs with a handful of keys, each appended many times. */
const SIGNER_KEYS = new Map<string, Uint8Array | undefined>();

function signerKey(id: string): Uint8Array | undefined {
  if (SIGNER_KEYS.has(id)) return SIGNER_KEYS.get(id);
  const key = DID_KEY.test(id) ? publicKeyOfDid(id) : undefined;
  if (SIGNER_KEYS.size >= 256) SIGNER_KEYS.clear();
  SIGNER_KEYS.set(id, key);
  return key;
}

/**
 * Why a signer cannot sign records a reader accepts, if it cannot: its id must be an Ed25519 did:key
 * (readers refuse any other `signer`) naming its own public key (else every signature it makes fails).
 */
function signerProblem(signer: Signer): string | undefined {
  const key = signerKey(signer.id);
  if (key === undefined) return `id is an Ed25519 did:key, got ${JSON.stringify(String(signer.id).slice(0, 80))}`;
  const own: unknown = signer.publicKey;
  if (own instanceof Uint8Array && !bytesEqual(own, key)) return `id names its publicKey, got ${signer.id}`;
  return undefined;
}

function checkSignature(sig: unknown): asserts sig is Uint8Array {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new TypeError('signer returned no 64-byte signature');
}
