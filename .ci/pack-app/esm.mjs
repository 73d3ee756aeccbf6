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

// The streaming verifier spreads signature checks over worker threads, which load
// dist/verify-worker.js from the installed package: check that they start and agree.
const { verifyLogFile } = await import('@agentguard/audit/file');
const { mkdtempSync, writeFileSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const big = createMemorySink();
const bigLog = createAuditLog({ sink: big });
for (let i = 0; i < 600; i++) {
  await bigLog.append({ type: 'call.completed', callId: `c${i}`, agent: identity.id, tool: 'add' }, identity);
}
await bigLog.close();
const file = join(mkdtempSync(join(tmpdir(), 'pack-check-')), 'audit.jsonl');
writeFileSync(file, big.text());
const streamed = await verifyLogFile(file, { trust: [identity.id], workers: 2, batchSize: 100 });
if (!streamed.ok || streamed.records !== 600) throw new Error(`streamed verify failed: ${JSON.stringify(streamed)}`);
if (streamed.workers !== 2) throw new Error(`expected 2 worker threads, got ${streamed.workers}`);
console.log(`ESM streamed verification on ${streamed.workers} worker threads ok`);
