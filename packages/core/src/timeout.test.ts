import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWithTimeout, stopKind } from './timeout.js';

describe('runWithTimeout', () => {
  it('gives a synchronous result as it is, with no timer and no signal made', async () => {
    let asked = false;
    await expect(
      runWithTimeout((signal) => {
        asked = typeof signal === 'function';
        return 7;
      }, 1),
    ).resolves.toBe(7);
    expect(asked).toBe(true);
  });

  it('turns a synchronous throw into a rejection', async () => {
    const run = runWithTimeout(() => {
      throw new Error('no');
    }, 1_000);
    await expect(run).rejects.toThrow('no');
  });

  it('is a timeout when the function answers the abort at once (its value came too late)', async () => {
    const run = runWithTimeout(
      (signal) =>
        new Promise<string>((resolve) => {
          signal().addEventListener('abort', () => resolve('answered the abort'), { once: true });
        }),
      10,
    );
    const error = await run.catch((e: unknown) => e);
    expect(stopKind(error)).toBe('timeout');
  });

  it('is an abort when the caller aborts, even if the function answers the abort at once', async () => {
    const outer = new AbortController();
    const run = runWithTimeout(
      (signal) =>
        new Promise<string>((resolve) => {
          signal().addEventListener('abort', () => resolve('answered the abort'), { once: true });
        }),
      60_000,
      outer.signal,
    );
    outer.abort();
    expect(stopKind(await run.catch((e: unknown) => e))).toBe('aborted');
  });

  it('gives a promise that settles in time its value, and a signal asked for after a stop comes aborted', async () => {
    await expect(runWithTimeout(async () => 'done', 1_000)).resolves.toBe('done');
    let late: (() => AbortSignal) | undefined;
    const run = runWithTimeout((signal) => {
      late = signal;
      return new Promise(() => undefined);
    }, 5);
    expect(stopKind(await run.catch((e: unknown) => e))).toBe('timeout');
    expect(late?.().aborted).toBe(true);
  });
});

describe('runWithTimeout, stops that happen around the function', () => {
  const answering = (reject: boolean) => (signal: () => AbortSignal) =>
    new Promise<string>((resolve, fail) => {
      signal().addEventListener('abort', () => (reject ? fail(new Error('cancelled')) : resolve('late')), {
        once: true,
      });
    });

  it('is an abort when the caller aborts from inside the function, sync or async', async () => {
    for (const answer of ['value', 'promise', 'throw'] as const) {
      const outer = new AbortController();
      const run = runWithTimeout(
        () => {
          outer.abort();
          if (answer === 'throw') throw new Error('own error');
          return answer === 'value' ? 'done' : new Promise<string>(() => undefined);
        },
        60_000,
        outer.signal,
      );
      expect(stopKind(await run.catch((e: unknown) => e))).toBe('aborted');
    }
  });

  it('is a timeout when the function answers the abort by rejecting with its own error', async () => {
    const error = await runWithTimeout(answering(true), 10).catch((e: unknown) => e);
    expect(stopKind(error)).toBe('timeout');
  });

  it('counts the deadline from the call, synchronous start included', async () => {
    const run = runWithTimeout(() => {
      const until = performance.now() + 30;
      while (performance.now() < until) {
        // busy: the deadline is spent before the promise is even returned
      }
      return new Promise<string>((resolve) => setTimeout(() => resolve('done'), 25));
    }, 40);
    expect(stopKind(await run.catch((e: unknown) => e))).toBe('timeout');
  });
});

describe('runWithTimeout, many runs sharing one timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  type Step =
    | { readonly op: 'start'; readonly timeoutMs: number }
    | { readonly op: 'settle'; readonly pick: number }
    | { readonly op: 'wait'; readonly ms: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('start' as const), timeoutMs: fc.constantFrom(5, 20, 50) }),
    fc.record({ op: fc.constant('settle' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 30 }) }),
  );

  it('times out exactly the runs still pending at their own deadline, whatever else starts and settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 80 }), async (steps) => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
        try {
          const runs: Array<{
            readonly deadline: number;
            resolve?: (value: string) => void;
            settledAt?: number;
            outcome?: string;
          }> = [];
          for (const s of steps) {
            if (s.op === 'start') {
              const run: (typeof runs)[number] = { deadline: performance.now() + s.timeoutMs };
              runs.push(run);
              runWithTimeout(
                () =>
                  new Promise<string>((resolve) => {
                    run.resolve = resolve;
                  }),
                s.timeoutMs,
              ).then(
                (value) => {
                  run.outcome = value;
                },
                (error: unknown) => {
                  run.outcome = stopKind(error) ?? 'other';
                },
              );
            } else if (s.op === 'settle') {
              const open = runs.filter((r) => r.settledAt === undefined && r.outcome === undefined);
              const run = open[s.pick % Math.max(1, open.length)];
              if (run !== undefined) {
                run.settledAt = performance.now();
                run.resolve?.('value');
              }
            } else {
              await vi.advanceTimersByTimeAsync(s.ms);
            }
            await vi.advanceTimersByTimeAsync(0);
          }
          await vi.advanceTimersByTimeAsync(100);
          for (const run of runs) {
            // Never stopped before its deadline; stopped once a timer of whole milliseconds can have fired after it.
            if (run.settledAt !== undefined && run.settledAt < run.deadline) expect(run.outcome).toBe('value');
            else if (run.settledAt === undefined || run.settledAt > run.deadline + 2)
              expect(run.outcome).toBe('timeout');
            else expect(['value', 'timeout']).toContain(run.outcome);
          }
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the process alive only while a run is pending', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let finish: (value: string) => void = () => {};
    const run = runWithTimeout(() => new Promise<string>((resolve) => (finish = resolve)), 60_000);
    expect(timers()).toBe(before + 1);
    finish('done');
    await expect(run).resolves.toBe('done');
    expect(timers()).toBe(before);
    // Another run of the same length uses the same timer again, and lets go of it again.
    let again: (value: string) => void = () => {};
    const second = runWithTimeout(() => new Promise<string>((resolve) => (again = resolve)), 60_000);
    expect(timers()).toBe(before + 1);
    again('done');
    await expect(second).resolves.toBe('done');
    expect(timers()).toBe(before);
  });

  it('times out a run held far behind many that settle (the queue is tidied, the deadline kept)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const stuck = runWithTimeout(() => new Promise<string>(() => {}), 1_000).catch((e: unknown) => stopKind(e));
    for (let i = 0; i < 5_000; i++) {
      await runWithTimeout(() => Promise.resolve(i), 1_000);
    }
    await vi.advanceTimersByTimeAsync(1_002);
    expect(await stuck).toBe('timeout');
  });

  it('still times out after a fake clock was swapped in and out with a run pending', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let finish: (value: string) => void = () => {};
    const first = runWithTimeout(() => new Promise<string>((resolve) => (finish = resolve)), 40);
    vi.useRealTimers();
    finish('done');
    await expect(first).resolves.toBe('done');
    const error = await runWithTimeout(() => new Promise<string>(() => {}), 40).catch((e: unknown) => e);
    expect(stopKind(error)).toBe('timeout');
  });

  it('times out every other run of the same length when one run makes its own abort throw', async () => {
    const hostile = runWithTimeout((signal) => {
      Object.defineProperty(signal(), 'dispatchEvent', {
        value: () => {
          throw new Error('hostile tool');
        },
      });
      return new Promise<string>(() => {});
    }, 30).catch((e: unknown) => stopKind(e));
    const other = runWithTimeout(() => new Promise<string>(() => {}), 30).catch((e: unknown) => stopKind(e));
    const later = await new Promise((resolve) => setTimeout(() => resolve('still pending'), 1_000));
    expect(await Promise.race([other, later])).toBe('timeout');
    expect(await hostile).toBe('timeout');
    // And the queue still works afterwards.
    expect(await runWithTimeout(() => new Promise<string>(() => {}), 30).catch((e: unknown) => stopKind(e))).toBe(
      'timeout',
    );
  });

  it('lets go of the process once every run settled, even when an abort listener started another run', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let inner: Promise<string> | undefined;
    const outer = await runWithTimeout((signal) => {
      signal().addEventListener('abort', () => {
        inner = runWithTimeout(() => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 10)), 50);
      });
      return new Promise<string>(() => {});
    }, 50).catch((e: unknown) => stopKind(e));
    expect(outer).toBe('timeout');
    expect(await inner).toBe('done');
    expect(timers()).toBe(before);
  });

  it('times out a run started before a fake clock came and went, when another run replaced the timer', async () => {
    const first = runWithTimeout(() => new Promise<string>(() => {}), 60).catch((e: unknown) => stopKind(e));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    runWithTimeout(() => new Promise<string>(() => {}), 60).catch(() => undefined);
    vi.useRealTimers();
    const later = new Promise((resolve) => setTimeout(() => resolve('still pending'), 1_000));
    expect(await Promise.race([first, later])).toBe('timeout');
  });

  it('times runs out when fake timers fire, even if performance.now() is not faked', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const run = runWithTimeout(() => new Promise<string>(() => {}), 1_000).catch((e: unknown) => stopKind(e));
    await vi.advanceTimersByTimeAsync(1_002);
    vi.useRealTimers();
    const later = new Promise((resolve) => setTimeout(() => resolve('still pending'), 50));
    expect(await Promise.race([run, later])).toBe('timeout');
  });
  it('never times a run out before its deadline, though timers count whole milliseconds', async () => {
    const early: number[] = [];
    for (let i = 0; i < 60; i++) {
      // Start at varied sub-millisecond phases.
      const spin = performance.now();
      while (performance.now() - spin < (i % 10) / 10) {}
      const start = performance.now();
      const error = await runWithTimeout(() => new Promise<string>(() => {}), 15).catch((e: unknown) => e);
      const elapsed = performance.now() - start;
      expect(stopKind(error)).toBe('timeout');
      if (elapsed < 15) early.push(Number(elapsed.toFixed(3)));
    }
    expect(early).toEqual([]);
  });

  it('works with timers that are numbers (browsers, edge runtimes): nothing to hold open, every outcome as before', async () => {
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const ids = new Map<number, ReturnType<typeof setTimeout>>();
    let next = 1;
    const numSet = ((fn: () => void, ms?: number) => {
      const id = next++;
      ids.set(
        id,
        realSet(() => {
          ids.delete(id);
          fn();
        }, ms),
      );
      return id;
    }) as unknown as typeof setTimeout;
    const numClear = ((id: number) => {
      realClear(ids.get(id));
      ids.delete(id);
    }) as unknown as typeof clearTimeout;
    globalThis.setTimeout = numSet;
    globalThis.clearTimeout = numClear;
    try {
      const ok = await runWithTimeout(() => Promise.resolve('value'), 77).catch((e: unknown) => e);
      const a = runWithTimeout(() => new Promise<string>(() => {}), 78).catch((e: unknown) => stopKind(e) ?? String(e));
      const b = runWithTimeout(() => new Promise<string>(() => {}), 78).catch((e: unknown) => stopKind(e) ?? String(e));
      const later = new Promise((r) => realSet(() => r('still pending'), 500));
      expect({ ok, a: await Promise.race([a, later]), b: await Promise.race([b, later]) }).toEqual({
        ok: 'value',
        a: 'timeout',
        b: 'timeout',
      });
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    }
  });
});
