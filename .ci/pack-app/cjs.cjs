// Node 20.19+ can require() an ES module package.
const { createAuditLog, createMemorySink } = require('@agentguard/audit');
const { createGuard } = require('@agentguard/core');
const { createIdentity } = require('@agentguard/identity');
const { z } = require('zod');

const ag = createGuard({
  identity: createIdentity(),
  policy: { version: 1, rules: [{ id: 'allow-add', effect: 'allow', tools: ['add'] }] },
  audit: createAuditLog({ sink: createMemorySink() }),
});
const add = ag.guard({ name: 'add', schema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
add({ a: 2, b: 3 }).then((sum) => {
  if (sum !== 5) throw new Error(`expected 5, got ${sum}`);
  console.log('CommonJS guarded call ok');
});
