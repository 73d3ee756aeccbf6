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
 * outcome as it is: nothing could have stopped a function that never gave the event loop back, so no timer
 * is armed for it. A promise is raced against what is left of the deadline and against `outer`. Once the run
 * is stopped (`outer` aborted, even from inside `fn`, or the deadline passed), the stop is the outcome, whatever
 * `fn` gives or throws in answer.
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
    controller?.abort(error);
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
  // The deadline counts from the call: what `fn` did before it returned its promise is spent already.
  const left = Math.max(0, timeoutMs - (performance.now() - started));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      halt('timeout');
      reject(stop('timeout'));
    }, left);
    if (outer !== undefined) {
      onAbort = () => {
        halt('aborted');
        reject(stop('aborted'));
      };
      outer.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    const value = await Promise.race([result, stopped]);
    // A tool that answers the abort at once (its promise settles inside the abort) still ran out of time: once
    // stopped, nothing it returns counts.
    if (stoppedBy !== undefined) throw stoppedBy;
    return value;
  } catch (error) {
    // Nor anything it throws (a rejection answering the abort is the stop too).
    throw stoppedBy ?? error;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) outer?.removeEventListener('abort', onAbort);
  }
}

/** Whether `value` is a promise or any object with a `then` method: raced as a promise would be. */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  if (value instanceof Promise) return true;
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return typeof (value as { then?: unknown }).then === 'function';
}
