/** Marks why a run ended early, so the caller can name the code. */
function stop(kind: 'timeout' | 'aborted'): Error {
  return Object.assign(new Error(kind), { agentguardStop: kind });
}

/**
 * Runs `fn` and settles when it does, when `timeoutMs` passes, or when `outer`
 * aborts, whichever is first. The signal handed to `fn` aborts in the latter two
 * cases so a cooperative tool can stop its work.
 */
export async function runWithTimeout<T>(
  fn: (signal: AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  if (outer?.aborted) throw stop('aborted');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(stop('timeout'));
      reject(stop('timeout'));
    }, timeoutMs);
    onAbort = () => {
      controller.abort(stop('aborted'));
      reject(stop('aborted'));
    };
    outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([Promise.resolve().then(() => fn(controller.signal)), stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) outer?.removeEventListener('abort', onAbort);
  }
}
