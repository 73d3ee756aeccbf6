import { describe, expect, it } from 'vitest';
import { createDeadlines } from './deadline.js';
import { NoAnswer } from './deadline.js';

describe('createDeadlines', () => {
  it('passes answers through, synchronous or not, and turns throws into rejections', async () => {
    const within = createDeadlines(1_000);
    await expect(within(() => 1, 'x')).resolves.toBe(1);
    await expect(within(async () => 2, 'x')).resolves.toBe(2);
    await expect(within(() => Promise.reject(new Error('no')), 'x')).rejects.toThrow('no');
    await expect(
      within(() => {
        throw new Error('sync');
      }, 'the signer'),
    ).rejects.toThrow('the signer threw: sync');
  });

  it('fails each call that does not answer in time, and only those, in the order they were made', async () => {
    const within = createDeadlines(100);
    const order: string[] = [];
    const hang = (name: string) =>
      within(() => new Promise(() => {}), name).catch((error: unknown) => {
        expect(error).toBeInstanceOf(NoAnswer);
        order.push(name);
      });
    const first = hang('first');
    const answered = within(() => new Promise((resolve) => setTimeout(() => resolve('late but in time'), 1)), 'ok');
    const second = hang('second');
    await expect(answered).resolves.toBe('late but in time');
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    // A call made after the others expired gets its own full time.
    await expect(within(() => new Promise((resolve) => setTimeout(() => resolve(3), 5)), 'x')).resolves.toBe(3);
  });

  it('ignores an answer that comes after its time ran out', async () => {
    const within = createDeadlines(5);
    let answer: (value: string) => void = () => {};
    const pending = within(() => new Promise<string>((resolve) => (answer = resolve)), 'slow');
    await expect(pending).rejects.toBeInstanceOf(NoAnswer);
    answer('too late');
    await expect(pending).rejects.toBeInstanceOf(NoAnswer);
  });

  it('keeps working across many settled calls (the queue is compacted)', async () => {
    const within = createDeadlines(1_000);
    const results = await Promise.all(Array.from({ length: 5_000 }, (_, i) => within(async () => i, 'x')));
    expect(results[4_999]).toBe(4_999);
    await expect(within(() => new Promise(() => {}), 'x').catch((e: unknown) => e)).resolves.toBeDefined();
  }, 10_000);
});
