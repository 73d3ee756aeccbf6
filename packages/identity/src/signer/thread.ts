/**
 * An identity whose signatures are made on a worker thread when many are asked for at once, so that a
 * busy process signs on one core while it hashes, decides and writes on another. Node only
 * (`@agentguard/identity/node`).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { sign } from '../ed25519/ed25519.js';
import { type AgentIdentity, inProcessSecretKey, markInProcess } from '../key/identity.js';

/** An {@link AgentIdentity} that signs on a worker thread; see {@link startSigningThread}. */
export interface SigningThread extends AgentIdentity {
  /**
   * Whether the thread is signing: false once {@link SigningThread.close} was called, or once the thread
   * failed (it could not start, or it exited). Signing goes on either way, on the calling thread.
   */
  readonly running: boolean;
  /** Stops the thread; later signatures are made on the calling thread. Idempotent. */
  close(): Promise<void>;
}

/** @internal What the thread runs: a module URL, or (from the TypeScript sources) a bootstrap to evaluate. */
export interface SigningWorkerEntry {
  readonly source: URL | string;
  readonly options: WorkerOptions;
}

/** Messages sent to the thread at a time: a batch is signed before any of its signatures is handed back. */
const MAX_BATCH = 256;
/** A message this large is signed where it is: copying it to the thread would cost more than it saves. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * How long the thread may take to answer a batch (256 signatures take milliseconds) before it counts as hung:
 * it is stopped and what it was asked is signed on the calling thread.
 */
const ANSWER_WITHIN_MS = 5_000;

/**
 * Where the worker entry is: beside this module once built (dist/signing-thread.js). Run from the TypeScript
 * sources (tests, benches), the thread first registers tsx, the workspace's TypeScript loader, then imports
 * the .ts entry.
 */
function workerEntry(): SigningWorkerEntry {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { source: new URL('./signing-thread.js', here), options: {} };
  const entry = JSON.stringify(new URL('./thread-worker.ts', here).href);
  return {
    source: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`,
    options: { eval: true, execArgv: ['--conditions', '@agentguard/source'] },
  };
}

interface Request {
  /** The message's bytes (a view of its batch's buffer, once the batch is sent). */
  message: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Starts a worker thread that signs for `identity`, and returns an identity with the same key, id and name
 * that uses it. Signatures asked for together (in one turn of the event loop, as when many callers append to
 * an audit log at once) go to the thread in one message; a signature asked for alone, a message over 64 KiB,
 * and every signature once the thread is closed or has failed, is made on the calling thread, where a round
 * trip would cost more than it saves. Ed25519 is deterministic: the signatures are the ones `identity` makes.
 *
 * The thread holds a copy of the secret key and signs whatever this process asks it to, exactly as
 * `identity` does: it is the same identity, not a boundary (for that, see `serveSigner`). A guard treats it
 * as `identity` (`isInProcessIdentity` is true). The thread keeps a process alive only while signatures are
 * pending; `close` stops it.
 *
 * @param identity - an identity of this process: {@link createIdentity}, {@link identityFromJwk}, a loaded
 *   key file or store.
 * @returns a frozen {@link SigningThread}.
 * @throws TypeError when `identity` is any other signer (its key is elsewhere and cannot be moved).
 * @example
 * ```ts
 * const agent = startSigningThread(await loadKeyFile('agent.jwk', { passphrase }));
 * const guard = createGuard({ identity: agent, policy, audit });
 * // …
 * await agent.close();
 * ```
 */
export function startSigningThread(identity: AgentIdentity): SigningThread {
  return startSigningThreadWith(identity, workerEntry());
}

/** @internal {@link startSigningThread} with the worker entry given (tests give failing ones). */
export function startSigningThreadWith(
  identity: AgentIdentity,
  entry: SigningWorkerEntry,
  answerWithinMs: number = ANSWER_WITHIN_MS,
): SigningThread {
  const secret = inProcessSecretKey(identity);
  if (secret === undefined) {
    throw new TypeError(
      '"identity" expected an identity of this process (createIdentity, identityFromJwk, a key file or store): ' +
        'a key held elsewhere cannot be moved to a thread',
    );
  }
  const secretKey = Uint8Array.from(secret);
  let worker: Worker | undefined;
  try {
    worker = new Worker(entry.source, { ...entry.options, workerData: { secretKey } });
  } catch {
    worker = undefined;
  }
  // Batches in flight by id, with when each was sent (in order: the first is the oldest); the thread keeps the
  // process alive only while one is. One timer watches the oldest.
  const waiting = new Map<number, { readonly requests: readonly Request[]; readonly sentAt: number }>();
  let watch: ReturnType<typeof setTimeout> | undefined;
  let ids = 0;
  let queue: Request[] = [];
  let scheduled = false;
  // Resolves once the thread has stopped (at once when it never started).
  let stopped: Promise<void> = Promise.resolve();
  // When the thread last answered: a thread busy with a backlog is not hung.
  let answeredAt = 0;

  const signHere = (request: Request): void => {
    try {
      request.resolve(sign(request.message, secretKey));
    } catch (error) {
      request.reject(error);
    }
  };
  // A thread that failed, hung or was closed: it is stopped (it holds a copy of the key, and a batch in flight
  // had it ref'd), and what it was asked is signed here, and everything after it.
  const retire = (): void => {
    const w = worker;
    worker = undefined;
    if (w !== undefined) {
      w.unref();
      stopped = w.terminate().then(
        () => undefined,
        () => undefined,
      );
    }
    if (watch !== undefined) clearTimeout(watch);
    watch = undefined;
    const stranded = [...waiting.values()];
    waiting.clear();
    for (const batch of stranded) for (const request of batch.requests) signHere(request);
  };
  if (worker !== undefined) {
    const w = worker;
    w.unref();
    w.on('message', (answer: unknown) => {
      // Whatever comes back is checked before use: a wrong answer costs the batch a signing here, never the process.
      if (typeof answer !== 'object' || answer === null) return;
      const { id, signatures } = answer as { readonly id?: unknown; readonly signatures?: unknown };
      if (typeof id !== 'number') return;
      const requests = waiting.get(id)?.requests;
      if (requests === undefined) return;
      // The thread answers in order: an older batch still waiting was skipped, and is signed here.
      for (const [older, skipped] of waiting) {
        if (older >= id) break;
        waiting.delete(older);
        for (const request of skipped.requests) signHere(request);
      }
      waiting.delete(id);
      answeredAt = performance.now();
      if (waiting.size === 0) {
        w.unref();
        clearTimeout(watch);
        watch = undefined;
      }
      if (!(signatures instanceof Uint8Array) || signatures.length !== 64 * requests.length) {
        for (const request of requests) signHere(request);
        return;
      }
      // A copy each: one caller changing its signature must not change another's.
      for (const [i, request] of requests.entries()) request.resolve(signatures.slice(64 * i, 64 * i + 64));
    });
    // An answer that cannot be read leaves its batch unanswered: retire, so that it is signed here.
    w.on('messageerror', retire);
    w.on('error', retire);
    w.on('exit', retire);
    // Once retired, a late event of this thread changes nothing (retire acts on the current thread only).
  }

  // A thread that sits on a batch (hung, or answering nothing it can be told by) is stopped: the batches are
  // signed here. The clock runs from the later of the oldest batch's sending and the thread's last answer (a
  // thread working through a backlog is answering), and answers already queued get one turn to arrive first.
  /** How long the oldest batch in flight has gone unanswered, or undefined when none is. */
  const unanswered = (): number | undefined => {
    const oldest = waiting.values().next();
    return oldest.done === true ? undefined : performance.now() - Math.max(oldest.value.sentAt, answeredAt);
  };
  const rewatch = (ms: number): void => {
    // Unref'd: while batches are in flight the thread itself keeps the process alive.
    watch = setTimeout(checkAnswered, ms);
    watch.unref();
  };
  function checkAnswered(): void {
    watch = undefined;
    const waited = unanswered();
    if (waited === undefined) return;
    if (waited < answerWithinMs) {
      rewatch(answerWithinMs - waited);
      return;
    }
    setImmediate(() => {
      const still = unanswered();
      if (still !== undefined && still >= answerWithinMs) retire();
      else if (still !== undefined && watch === undefined) rewatch(answerWithinMs - still);
    }).unref();
  }

  // The messages of the next batch, copied end to end when asked for (a caller may reuse its buffer), so that a
  // batch crosses to the thread as one buffer rather than one object per message.
  let pack = new Uint8Array(16 * 1024);
  let packed = 0;
  const ends: number[] = [];
  const post = (requests: readonly Request[], bytes: Uint8Array, offsets: readonly number[]): void => {
    const w = worker as Worker;
    const id = ids++;
    waiting.set(id, { requests, sentAt: performance.now() });
    if (waiting.size === 1) w.ref();
    if (watch === undefined) rewatch(answerWithinMs);
    // `bytes` is the thread's own copy: moved, not copied again.
    w.postMessage({ id, bytes, ends: offsets }, [bytes.buffer as ArrayBuffer]);
  };
  const flush = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    const bytes = pack.slice(0, packed);
    const offsets = ends.splice(0);
    packed = 0;
    // A burst of large messages leaves no large buffer behind.
    if (pack.length > 1024 * 1024) pack = new Uint8Array(16 * 1024);
    let start = 0;
    for (const [i, request] of batch.entries()) {
      request.message = bytes.subarray(start, offsets[i]);
      start = offsets[i] as number;
    }
    // Alone, with the thread idle, a message is signed here: the round trip would cost more than the signature.
    if (worker === undefined || (batch.length === 1 && waiting.size === 0)) {
      for (const request of batch) signHere(request);
      return;
    }
    for (let i = 0; i < batch.length; i += MAX_BATCH) {
      const first = i === 0 ? 0 : (offsets[i - 1] as number);
      const part = offsets.slice(i, i + MAX_BATCH).map((end) => end - first);
      const last = part.length === 0 ? 0 : (part[part.length - 1] as number);
      post(batch.slice(i, i + MAX_BATCH), bytes.slice(first, first + last), part);
    }
  };
  const enqueue = (message: Uint8Array, request: Request): void => {
    if (packed + message.length > pack.length) {
      const grown = new Uint8Array(Math.max(2 * pack.length, packed + message.length));
      grown.set(pack.subarray(0, packed));
      pack = grown;
    }
    pack.set(message, packed);
    packed += message.length;
    ends.push(packed);
    queue.push(request);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };

  const thread: SigningThread = Object.freeze({
    id: identity.id,
    name: identity.name,
    keyId: identity.keyId,
    get publicKey() {
      return identity.publicKey;
    },
    get running() {
      return worker !== undefined;
    },
    sign: (message: Uint8Array): Promise<Uint8Array> => {
      if (!(message instanceof Uint8Array)) return identity.sign(message);
      return new Promise<Uint8Array>((resolve, reject) => {
        const request: Request = { message, resolve, reject };
        if (worker === undefined || message.length > MAX_MESSAGE_BYTES) return signHere(request);
        enqueue(message, request);
      });
    },
    publicJwk: () => identity.publicJwk(),
    exportPrivateJwk: () => identity.exportPrivateJwk(),
    close: () => {
      retire();
      return stopped;
    },
    toJSON: () => ({ id: identity.id, name: identity.name, keyId: identity.keyId }),
  });
  markInProcess(thread, secretKey);
  return thread;
}
