import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, GuardError, type GuardErrorCode } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { z } from 'zod';

const ag = createGuard({
  identity: createIdentity(),
  policy: { version: 1, rules: [{ id: 'allow-add', effect: 'allow', tools: ['add'] }] },
  audit: createAuditLog({ sink: createMemorySink() }),
});
const add = ag.guard({ name: 'add', schema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
const sum: number = await add({ a: 1, b: 2 });
// @ts-expect-error b must be a number
await add({ a: 1, b: 'x' });
const code: GuardErrorCode | undefined = new Error() instanceof GuardError ? 'ERR_GUARD_POLICY_DENIED' : undefined;
export { sum, code };
