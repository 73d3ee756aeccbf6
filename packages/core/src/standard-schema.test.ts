import { describe, expect, it } from 'vitest';
import { type StandardSchemaV1, validateWith } from './standard-schema.js';

const schemaOf = (validate: (value: unknown) => unknown): StandardSchemaV1 =>
  ({ '~standard': { version: 1, vendor: 'test', validate } }) as unknown as StandardSchemaV1;

describe('validateWith', () => {
  it('takes a synchronous answer as it is', async () => {
    await expect(
      validateWith(
        schemaOf((v) => ({ value: [v] })),
        1,
      ),
    ).resolves.toEqual({ ok: true, value: [1] });
  });

  it('takes an asynchronous answer once it settles', async () => {
    const schema = schemaOf(async () => ({ issues: [{ message: 'no', path: ['a'] }] }));
    await expect(validateWith(schema, 1)).resolves.toEqual({ ok: false, issues: [{ path: '$.a', message: 'no' }] });
  });

  it('refuses a schema that throws, synchronously or by rejecting', async () => {
    const sync = schemaOf(() => {
      throw new Error('sync boom');
    });
    const rejecting = schemaOf(() => Promise.reject(new Error('async boom')));
    await expect(validateWith(sync, 1)).resolves.toMatchObject({ ok: false, issues: [{ message: /sync boom/ }] });
    await expect(validateWith(rejecting, 1)).resolves.toMatchObject({ ok: false, issues: [{ message: /async boom/ }] });
  });

  it('refuses an answer whose then getter throws', async () => {
    const answer = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('getter boom');
      },
    });
    await expect(
      validateWith(
        schemaOf(() => answer),
        1,
      ),
    ).resolves.toMatchObject({
      ok: false,
      issues: [{ message: /getter boom/ }],
    });
  });

  it('refuses a schema that never answers, once its time is up', async () => {
    const hanging = schemaOf(() => new Promise(() => {}));
    await expect(validateWith(hanging, 1, 5)).resolves.toMatchObject({
      ok: false,
      issues: [{ message: 'schema gave no result within 5 ms' }],
    });
  });

  it('reads a thenable that is not a promise', async () => {
    // A thenable on purpose: a schema may answer with one that is not a promise.
    const thenable = Object.defineProperty({}, 'then', {
      value: (resolve: (v: unknown) => void) => resolve({ value: 'ok' }),
    });
    await expect(
      validateWith(
        schemaOf(() => thenable),
        1,
      ),
    ).resolves.toEqual({ ok: true, value: 'ok' });
  });
});
