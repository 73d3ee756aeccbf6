import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, type Denial } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { Tool } from 'ai';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { toAiSdkTool, toAiSdkTools } from './index.js';

// Run by `vitest --typecheck` (tsc): nothing here executes.
const ag = createGuard({
  identity: createIdentity(),
  policy: { version: 1, rules: [] },
  audit: createAuditLog({ sink: createMemorySink() }),
});
const weather = ag.guard({
  name: 'get_weather',
  schema: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, celsius: 21 }),
});
const pay = ag.guard({
  name: 'pay',
  schema: z.object({ amount: z.number() }),
  execute: () => 'paid' as const,
});

describe('toAiSdkTool(s) keep the guarded tool types', () => {
  it('types input and output, a refusal being the Denial', () => {
    expectTypeOf(toAiSdkTool(weather)).toEqualTypeOf<
      Tool<{ city: string }, { city: string; celsius: number } | Denial>
    >();
    expectTypeOf(toAiSdkTool(weather).execute).parameter(0).toEqualTypeOf<{ city: string }>();
  });

  it('types the record of several tools as the union of theirs', () => {
    const tools = toAiSdkTools([weather, pay]);
    expectTypeOf(tools).toEqualTypeOf<
      Record<
        string,
        Tool<{ city: string }, { city: string; celsius: number } | Denial> | Tool<{ amount: number }, 'paid' | Denial>
      >
    >();
  });

  it('refuses what is not a guarded tool', () => {
    // @ts-expect-error a plain function is not a guarded tool
    toAiSdkTool(() => 1);
  });
});
