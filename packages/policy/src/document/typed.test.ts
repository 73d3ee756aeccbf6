import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { allow, definePolicy, forTool } from './builder.js';
import { createPolicyEngine } from '../engine/engine.js';
import type { InputOf, Pointers, ValueAt } from './typed.js';

const transferArgs = z.object({
  to: z.string(),
  amount: z.number(),
  memo: z.string().optional(),
  tags: z.array(z.string()),
  meta: z.object({ 'a/b': z.boolean(), nested: z.object({ depth: z.number() }) }),
});
type Args = z.input<typeof transferArgs>;

describe('typed builder (type level)', () => {
  it('derives pointers and value types from the schema', () => {
    expectTypeOf<InputOf<typeof transferArgs>>().toEqualTypeOf<Args>();
    expectTypeOf<'/amount'>().toExtend<Pointers<Args>>();
    expectTypeOf<'/meta/a~1b'>().toExtend<Pointers<Args>>();
    expectTypeOf<'/meta/nested/depth'>().toExtend<Pointers<Args>>();
    expectTypeOf<'/tags/0'>().toExtend<Pointers<Args>>();
    expectTypeOf<ValueAt<Args, '/meta/nested/depth'>>().toEqualTypeOf<number>();
    expectTypeOf<ValueAt<Args, '/meta/a~1b'>>().toEqualTypeOf<boolean>();
    expectTypeOf<ValueAt<Args, '/tags/3'>>().toEqualTypeOf<string>();
  });

  it('accepts conditions that fit and rejects the rest at compile time', () => {
    const transfer = forTool(transferArgs);
    transfer.allow('ok', {
      tools: 'transfer',
      when: {
        '/amount': { min: 0, max: 100 },
        '/to': { glob: ['acct-*'], maxLength: 32 },
        '/tags': { maxItems: 3 },
        '/memo': { exists: false },
        '/meta/nested/depth': { eq: 2 },
      },
    });
    // @ts-expect-error -- there is no field "amout"
    transfer.allow('typo', { tools: 'transfer', when: { '/amout': { max: 100 } } });
    // @ts-expect-error -- "min" is a numeric test, "/to" is a string
    transfer.allow('wrong-test', { tools: 'transfer', when: { '/to': { min: 1 } } });
    // @ts-expect-error -- eq must have the field's type
    transfer.deny('wrong-eq', { tools: 'transfer', when: { '/amount': { eq: 'ten' } } });
    // @ts-expect-error -- pointers start with "/"
    transfer.deny('no-slash', { tools: 'transfer', when: { amount: { max: 1 } } });
    expect(true).toBe(true);
  });

  it('leaves untyped helpers open to any pointer', () => {
    allow('any', { tools: 'x', when: { '/whatever/deep': { eq: 1 } } });
    expect(true).toBe(true);
  });
});

describe('typed builder (runtime)', () => {
  it('produces the same JSON, and the engine enforces it', async () => {
    const transfer = forTool(transferArgs);
    const policy = definePolicy({
      id: 'payments',
      rules: [
        transfer.allow('small', {
          tools: 'transfer',
          when: { '/amount': { max: 100 } },
          obligations: { redact: ['/to'] },
        }),
        transfer.requireApproval('big', { tools: 'transfer', when: { '/amount': { min: 100.01 } } }),
      ],
      limits: [{ id: 'daily', tools: ['transfer'], budget: { arg: '/amount', max: 1000, windowMs: 86_400_000 } }],
    });
    expect(policy.rules[0]).toEqual({
      id: 'small',
      effect: 'allow',
      tools: ['transfer'],
      when: { '/amount': { max: 100 } },
      obligations: { redact: ['/to'] },
    });
    const engine = createPolicyEngine(policy);
    const agent = { id: 'a', name: 'a' };
    const args = (amount: number) => ({ to: 'acct-1', amount, tags: [], meta: { 'a/b': true, nested: { depth: 1 } } });
    expect((await engine.decide({ agent, tool: { name: 'transfer' }, args: args(50) })).effect).toBe('allow');
    expect((await engine.decide({ agent, tool: { name: 'transfer' }, args: args(500) })).effect).toBe(
      'require_approval',
    );
  });

  it('refuses something that is not a schema', () => {
    expect(() => forTool({} as never)).toThrow(TypeError);
  });
});
