import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createGuard, type Denial, type GuardOutcome } from './index.js';

// Checked by `pnpm typecheck` (tsc); at run time these are no-ops.
describe('guard() types', () => {
  const ag = createGuard({
    identity: createIdentity(),
    policy: { version: 1, rules: [] },
    audit: createAuditLog({ sink: createMemorySink() }),
  });
  const tool = ag.guard({
    name: 'transfer',
    schema: z.object({ amount: z.number(), note: z.string().optional(), when: z.string().transform((s) => s.length) }),
    execute: (args) => {
      // The tool sees the schema's output type (after transforms).
      expectTypeOf(args).toEqualTypeOf<{ amount: number; note?: string | undefined; when: number }>();
      return { ok: true as const, id: 'tx-1' };
    },
  });

  it('takes the schema input type and returns the tool result type', () => {
    expectTypeOf(tool).parameter(0).toEqualTypeOf<{ amount: number; note?: string | undefined; when: string }>();
    expectTypeOf(tool).returns.resolves.toEqualTypeOf<{ ok: true; id: string }>();
    expectTypeOf(tool.safeRun).returns.resolves.toEqualTypeOf<GuardOutcome<{ ok: true; id: string }>>();
  });

  it('rejects wrong arguments at compile time', () => {
    // Never called: only the compiler looks at these.
    const misuse = () => {
      // @ts-expect-error amount must be a number
      void tool({ amount: '1', when: 'now' });
      // @ts-expect-error when is required
      void tool({ amount: 1 });
    };
    expectTypeOf(misuse).toBeFunction();
  });

  it('narrows outcomes', async () => {
    const outcome = await tool.safeRun({});
    if (outcome.ok) expectTypeOf(outcome.value.id).toBeString();
    else expectTypeOf(outcome.denial).toEqualTypeOf<Denial>();
  });
});
