/**
 * One guard process of the propagation bench: a guard with a control source on the status file and the Redis
 * doorbell (polling once a minute, so only the doorbell explains a prompt effect). On each adopted status it
 * makes one guarded call and reports the status seq and whether the call was refused as suspended.
 */
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { z } from 'zod';
import { createControlSource } from '../src/control/source.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} expected in the environment`);
  return value;
};
const STATUS = env('STATUS');
const REDIS = env('REDIS');
const OPERATOR = env('OPERATOR');
const agent = createIdentity({ name: `bench-${process.pid}` });
const source = createControlSource({
  channel: 'bench',
  trust: [OPERATOR],
  excludedKeys: [agent.id],
  status: STATUS,
  pollMs: 60_000,
  redis: { url: REDIS },
});
const ag = createGuard({
  identity: agent,
  policy: { version: 1, rules: [{ id: 'w', effect: 'allow', tools: ['bench.write'] }] },
  audit: createAuditLog({ sink: createMemorySink() }),
  control: { source },
});
const write = ag.guard({ name: 'bench.write', schema: z.object({}), tags: ['write'], execute: () => 'ok' });

source.events.on('adopted', (status) => {
  void write.safeRun({}).then((outcome) => {
    const code = outcome.ok ? 'ran' : outcome.denial.code;
    process.send?.({ seq: status.seq, code, at: Date.now() });
  });
});
await source.ready(30_000);
process.send?.({ ready: true });
process.on('disconnect', () => {
  source.close();
  process.exit(0);
});
