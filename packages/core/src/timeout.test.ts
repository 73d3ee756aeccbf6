import { describe, expect, it } from 'vitest';
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
