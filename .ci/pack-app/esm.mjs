import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { z } from 'zod';

const identity = createIdentity({ name: 'pack-check' });
const sink = createMemorySink();
const ag = createGuard({
  identity,
  policy: { version: 1, rules: [{ id: 'allow-add', effect: 'allow', tools: ['add'] }] },
  audit: createAuditLog({ sink }),
});
const add = ag.guard({ name: 'add', schema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
const sum = await add({ a: 2, b: 3 });
if (sum !== 5) throw new Error(`expected 5, got ${sum}`);
const report = verifyLog(sink.text(), { trust: [identity.id] });
if (!report.ok) throw new Error(`log does not verify: ${report.reason}`);
console.log(`ESM guarded call ok (${report.records} records)`);
