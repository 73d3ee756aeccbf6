/** Why a run ended early: the caller needs the kind to name the code. */
export type StopKind = 'timeout' | 'aborted' | 'too-large';

// Only errors core made itself carry a kind: a tool cannot throw an object that passes for a timeout.
const stops = new WeakMap<object, StopKind>();

/** Marks `error` as a stop of this kind (core's own errors only). */
export function markStop<E extends object>(error: E, kind: StopKind): E {
  stops.set(error, kind);
  return error;
}

/** The kind of a stop core made itself, or undefined for anything else (a tool's own error). */
export function stopKind(error: unknown): StopKind | undefined {
  return typeof error === 'object' && error !== null ? stops.get(error) : undefined;
}

function stop(kind: 'timeout' | 'aborted'): Error {
  return markStop(new Error(kind), kind);
}

/**
 * Runs `fn` and settles when it does, when `timeoutMs` passes, or when `outer`
 * aborts, whichever is first. The signal `fn` can ask for aborts in the latter two
 * cases so a cooperative tool can stop its work. A synchronous throw of `fn` is a rejection.
 *
 * The signal is made on first request: most runs (a schema's validate, a tool that never looks at
 * it) never ask, and an AbortController per run was a visible share of a guarded call. Asked for
 * after the run was stopped, it comes already aborted with the stop's reason.
 *
 * `fn` is called at once. A result that is not a promise (a synchronous schema, a synchronous tool) is the
 * outcome as it is: nothing could have stopped a function that never gave the event loop back, so no deadline
 * is set for it. A promise is raced against what is left of the deadline and against `outer`. Once the run
 * is stopped (`outer` aborted, even from inside `fn`, or the deadline passed), the stop is the outcome, whatever
 * `fn` gives or throws in answer.
 *
 * Runs with the same `timeoutMs` share one timer ({@link Deadlines}); a timer of its own per run was a visible
 * share of a guarded call.
 */
export async function runWithTimeout<T>(
  fn: (signal: () => AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  if (outer?.aborted) throw stop('aborted');
  let controller: AbortController | undefined;
  let stoppedBy: Error | undefined;
  const signal = (): AbortSignal => {
    if (controller === undefined) {
      controller = new AbortController();
      if (stoppedBy !== undefined) controller.abort(stoppedBy);
    }
    return controller.signal;
  };
  const halt = (kind: 'timeout' | 'aborted'): Error => {
    const error = stop(kind);
    stoppedBy = error;
    try {
      controller?.abort(error);
    } catch {
      // The run's own signal can be made to throw (a tool may replace its dispatchEvent): it is stopped regardless,
      // and nothing it does may keep the stop from being the outcome, or other runs from expiring.
    }
    return error;
  };
  const started = performance.now();
  let result: T | PromiseLike<T>;
  try {
    result = fn(signal);
  } catch (error) {
    throw outer?.aborted ? halt('aborted') : error;
  }
  // The caller aborted while `fn` ran (its own code may have fired the abort): no listener saw it.
  if (outer?.aborted) throw halt('aborted');
  if (!isThenable(result)) return result;
  const pending = result;
  let deadline: Deadline | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const value = await new Promise<T>((resolve, reject) => {
      // The deadline counts from the call: what `fn` did before it returned its promise is spent already.
      deadline = deadlinesFor(timeoutMs).add(started + timeoutMs, () => {
        halt('timeout');
        reject(stop('timeout'));
      });
      if (outer !== undefined) {
        onAbort = () => {
          halt('aborted');
          reject(stop('aborted'));
        };
        outer.addEventListener('abort', onAbort, { once: true });
      }
      pending.then(resolve, reject);
    });
    // A tool that answers the abort at once (its promise settles inside the abort) still ran out of time: once
    // stopped, nothing it returns counts.
    if (stoppedBy !== undefined) throw stoppedBy;
    return value;
  } catch (error) {
    // Nor anything it throws (a rejection answering the abort is the stop too).
    throw stoppedBy ?? error;
  } finally {
    deadline?.settle();
    if (onAbort !== undefined) outer?.removeEventListener('abort', onAbort);
  }
}

/** One run's deadline in a {@link Deadlines} queue. */
interface Deadline {
  /** The run settled: its deadline no longer counts. */
  settle(): void;
}

/**
 * The deadlines of runs in flight that share one length. They come due in the order they were set, so they wait
 * in a queue and one timer is armed for the oldest one still pending. The timer is not cleared when that run
 * settles: it fires at its time, expires whatever is due, and is armed again for the oldest run still pending
 * (so with one run at a time, there is a timer per `timeoutMs` of traffic, not one per run). It keeps the process
 * alive only while some run is pending, as a timer per run would.
 */
class Deadlines {
  #queue: Array<DeadlineEntry | undefined> = [];
  #head = 0;
  #pending = 0;
  #settledInQueue = 0;
  #firing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param clock - the timer functions this queue arms with, for good (see {@link deadlinesFor}). */
  constructor(readonly clock: Clock) {}

  add(at: number, expire: () => void): Deadline {
    const entry = new DeadlineEntry(this, at, expire);
    this.#queue.push(entry);
    this.#pending++;
    // Added while the queue fires (by an abort listener): the walk arms the timer for what is left when it ends.
    if (this.#firing) return entry;
    if (this.#timer === undefined) this.#arm((this.#queue[this.#head] as DeadlineEntry).at);
    else if (this.#pending === 1) holdOpen(this.#timer, true);
    return entry;
  }

  /** A pending entry settled (by its run or by its deadline). */
  settled(entry: DeadlineEntry): void {
    this.#pending--;
    this.#settledInQueue++;
    if (this.#pending === 0 && this.#timer !== undefined) holdOpen(this.#timer, false);
    // While firing, the queue is being walked: it is tidied once the walk is over.
    if (this.#firing) return;
    if (this.#queue[this.#head] === entry) this.#advance();
    else if (this.#settledInQueue > COMPACT_AFTER && this.#settledInQueue * 2 > this.#queue.length - this.#head) {
      // A run far older than the rest is still pending: drop the settled entries queued behind it.
      this.#queue = this.#queue.slice(this.#head).filter((e) => e !== undefined && !e.done);
      this.#head = 0;
      this.#settledInQueue = 0;
    }
  }

  /** Arms the one timer for `at`, clearing any other first. */
  #arm(at: number): void {
    // Called unbound: a browser's timer functions refuse any `this` but the global one.
    const { setTimeout: set, clearTimeout: clear } = this.clock;
    if (this.#timer !== undefined) clear(this.#timer);
    // Only the timer armed last fires the queue: one replaced that fires after all does nothing.
    const timer = set(
      () => {
        if (this.#timer === timer) this.#fire(at);
      },
      // Whole milliseconds, and one more: a timer counts time in whole milliseconds, and one armed for the exact
      // remainder can fire up to a millisecond before `at` by performance.now(), which would stop a run early.
      Math.max(0, Math.ceil(at - performance.now())) + 1,
    );
    this.#timer = timer;
  }

  /** The timer armed for `armedFor` fired: every pending run due by then expires, and the timer is armed again. */
  #fire(armedFor: number): void {
    this.#timer = undefined;
    // Due: whatever the timer was armed for, or later if the clock says so. A clock whose timers are faked but whose
    // performance.now() is not still times runs out when its timers fire, as a timer per run did.
    const due = Math.max(armedFor, performance.now());
    this.#firing = true;
    try {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const entry = this.#queue[i] as DeadlineEntry;
        if (entry.done) continue;
        // Queued in the order set, so due in that order (a run started inside another's synchronous start is queued
        // first and may come due a little after it: late by at most that synchronous work, never early).
        if (entry.at > due) break;
        try {
          entry.expire();
        } catch {
          // One run's stop cannot keep the others from theirs.
        }
      }
    } finally {
      this.#firing = false;
      this.#advance();
      const next = this.#queue[this.#head];
      if (next !== undefined) this.#arm(next.at);
    }
  }

  /** Drops settled entries from the front, so the queue holds about what is in flight. */
  #advance(): void {
    while (this.#head < this.#queue.length && (this.#queue[this.#head] as DeadlineEntry).done) {
      this.#queue[this.#head++] = undefined;
      this.#settledInQueue--;
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

class DeadlineEntry implements Deadline {
  done = false;
  #expire: (() => void) | undefined;

  constructor(
    readonly queue: Deadlines,
    readonly at: number,
    expire: () => void,
  ) {
    this.#expire = expire;
  }

  /** The deadline passed with the run still pending. */
  expire(): void {
    const expire = this.#expire;
    this.settle();
    expire?.();
  }

  settle(): void {
    if (this.done) return;
    this.done = true;
    this.#expire = undefined;
    this.queue.settled(this);
  }
}

/** Most settled entries kept in a queue before it is compacted. */
const COMPACT_AFTER = 1024;
/**
 * Whether a timer keeps the process alive (Node's `ref`/`unref`). Elsewhere (a browser, an edge runtime) a timer
 * is a number and nothing is held open: nothing to do.
 */
function holdOpen(timer: ReturnType<typeof setTimeout>, hold: boolean): void {
  const t = timer as { ref?: unknown; unref?: unknown };
  if (typeof t !== 'object' || t === null) return;
  const method = hold ? t.ref : t.unref;
  if (typeof method === 'function') method.call(t);
}

/** The timer functions a queue arms with. */
interface Clock {
  readonly setTimeout: typeof setTimeout;
  readonly clearTimeout: typeof clearTimeout;
}

/** Most distinct run lengths with a shared timer each, per clock; a run of any other length gets a queue of its own. */
const MAX_QUEUES = 64;
/**
 * The queues, by the `setTimeout` in place when a run starts, then by length. A queue keeps the clock it was made
 * with: a run started under a test's fake timers never shares a timer with runs under the real ones, so swapping
 * the clock in or out cannot leave a pending run waiting on a timer that will never fire. (Deadlines are read with
 * the global `performance.now()`; a test that fakes it alone, with runs pending, moves their deadlines.)
 */
const queues = new WeakMap<typeof setTimeout, Map<number, Deadlines>>();

/** The queue the last run used: runs of one tool, one after another, look it up once. */
let last: { readonly set: typeof setTimeout; readonly timeoutMs: number; readonly queue: Deadlines } | undefined;

function deadlinesFor(timeoutMs: number): Deadlines {
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  if (last !== undefined && last.set === set && last.timeoutMs === timeoutMs) return last.queue;
  let byLength = queues.get(set);
  if (byLength === undefined) {
    byLength = new Map();
    queues.set(set, byLength);
  }
  let queue = byLength.get(timeoutMs);
  if (queue === undefined) {
    queue = new Deadlines({ setTimeout: set, clearTimeout: clear });
    if (byLength.size < MAX_QUEUES) byLength.set(timeoutMs, queue);
  }
  last = { set, timeoutMs, queue };
  return queue;
}

/** Whether `value` is a promise or any object with a `then` method: raced as a promise would be. */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  if (value instanceof Promise) return true;
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return typeof (value as { then?: unknown }).then === 'function';
}
