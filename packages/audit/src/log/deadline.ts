/**
 * Time limits on foreign functions (a sink's `write` or `close`, the signer): whatever they do, the caller
 * gets one settled promise, and a failure says whether the function's effect is unknown.
 */

/** A sink (or signer) that did not answer in time: whether it acted is unknown. */
export class NoAnswer extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

/** A sink (or signer) that threw instead of returning a promise: it broke its contract, so what it did is unknown. */
export class ThrewSynchronously extends Error {}

/** Whether a failure leaves it unknown what the function did (so the chain could fork if the log went on). */
export function effectUnknown(reason: unknown): boolean {
  return reason instanceof NoAnswer || reason instanceof ThrewSynchronously;
}

/**
 * Calls `call` so that nothing it does escapes: a synchronous throw becomes {@link ThrewSynchronously},
 * whatever it returns is awaited (a throwing `then` too), and the outcome goes to `finish` exactly as it came.
 */
function callSettled<T>(call: () => T | PromiseLike<T>, what: string, finish: (ok: boolean, value: unknown) => void) {
  let result: T | PromiseLike<T>;
  try {
    result = call();
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    finish(false, new ThrewSynchronously(`${what} threw: ${detail}`, { cause }));
    return;
  }
  Promise.resolve(result).then(
    (value) => finish(true, value),
    (cause: unknown) => finish(false, cause),
  );
}

/**
 * Calls a foreign function (a sink's `write` or `close`) as {@link callSettled} does, and rejects with
 * {@link NoAnswer} when it has not answered within `ms`. A late answer is ignored (and never unhandled).
 */
export function settleWithin<T>(call: () => T | PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(new NoAnswer(what, ms));
    }, ms);
    // A pending write must not keep a process alive on its own.
    if (typeof timer === 'object' && 'unref' in timer) timer.unref();
    callSettled(call, what, (ok, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) resolve(value as T);
      else reject(value);
    });
  });
}

/**
 * The signer, called once per record, gets the same limit as `settleWithin` sets, but
 * with one timer for all of them instead of one each. Every limit has the same length, so the deadlines
 * come due in the order they were set: they wait in a queue, and one timer is armed for the oldest still
 * pending. A timer per record was a visible share of appending one.
 */

interface Pending {
  readonly at: number;
  done: boolean;
  readonly expire: () => void;
}

/** Most settled entries kept at the front of the queue before it is compacted. */
const COMPACT_AFTER = 1024;

/**
 * @internal Returns `within(call, what)`: calls `call` as {@link callSettled} does and rejects with
 * {@link NoAnswer} when it has not answered `ms` milliseconds after it was called. A late answer is ignored.
 */
export function createDeadlines(ms: number): <T>(call: () => T | PromiseLike<T>, what: string) => Promise<T> {
  const queue: Pending[] = [];
  let head = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  // Drops settled entries from the front, so the queue holds about what is in flight.
  const advance = () => {
    while (head < queue.length && (queue[head] as Pending).done) head++;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head >= COMPACT_AFTER) {
      queue.splice(0, head);
      head = 0;
    }
  };
  const arm = () => {
    if (timer !== undefined || head === queue.length) return;
    timer = setTimeout(sweep, Math.max(0, (queue[head] as Pending).at - performance.now()));
    // A pending signature must not keep a process alive on its own.
    if (typeof timer === 'object' && 'unref' in timer) timer.unref();
  };
  function sweep(): void {
    timer = undefined;
    const now = performance.now();
    for (; head < queue.length; head++) {
      const entry = queue[head] as Pending;
      if (entry.done) continue;
      if (entry.at > now) break;
      entry.done = true;
      entry.expire();
    }
    advance();
    arm();
  }

  return <T>(call: () => T | PromiseLike<T>, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const entry: Pending = { at: performance.now() + ms, done: false, expire: () => reject(new NoAnswer(what, ms)) };
      queue.push(entry);
      arm();
      const finish = (ok: boolean, value: unknown) => {
        if (entry.done) return;
        entry.done = true;
        if (queue[head] === entry) advance();
        if (ok) resolve(value as T);
        else reject(value);
      };
      callSettled(call, what, finish);
    });
}
