/**
 * The logs the viewer is tested and benchmarked on, made with the real writers: a demo log written by
 * `createGuard` through `openFileAuditLog` (as examples/quickstart does), a large batched log (as the
 * audit benchmark makes its big logs), and tampered copies of the demo log.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditEvent, createAuditLog, readLog } from '@agentguard/audit';
import { createFileSink, openFileAuditLog } from '@agentguard/audit/file';
import { createGuard } from '@agentguard/core';
import { type AgentIdentity, createIdentity } from '@agentguard/identity';
import { createPolicyEngine } from '@agentguard/policy';
import { z } from 'zod';

/** A log on disk, its text and the key that anchors it. */
export interface LogFile {
  readonly path: string;
  readonly text: string;
  readonly trust: readonly string[];
}

const policy = {
  version: 1,
  id: 'viewer-demo',
  rules: [
    { id: 'weather-for-everyone', effect: 'allow', tools: ['get_weather'] },
    { id: 'email-for-support', effect: 'allow', tools: ['send_email'] },
    { id: 'no-money-moves', effect: 'deny', tools: ['transfer_*'], reason: 'agents may not move money' },
  ],
};

/** The quickstart's agent run: an allowed call, a denied one, an invalid one, a failing one; checkpoints every 4 records. */
export async function demoLog(
  dir: string,
  agent: AgentIdentity = createIdentity({ name: 'demo-agent' }),
): Promise<LogFile> {
  const path = join(dir, 'demo.jsonl');
  const audit = await openFileAuditLog(path, { checkpoint: { signer: agent, everyRecords: 4 } });
  const ag = createGuard({ identity: agent, policy: createPolicyEngine(policy), audit });
  const weather = ag.guard({
    name: 'get_weather',
    schema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, celsius: 21 }),
  });
  const transfer = ag.guard({
    name: 'transfer_funds',
    schema: z.object({ to: z.string(), amount: z.number() }),
    execute: async () => true,
  });
  const email = ag.guard({
    name: 'send_email',
    schema: z.object({ to: z.email(), body: z.string() }),
    execute: async () => {
      throw new Error('mail server down');
    },
  });
  await weather.safeRun({ city: 'Lisbon' });
  await transfer.safeRun({ to: 'attacker', amount: 5000 });
  await email.safeRun({ to: 'not-an-address', body: 'hi' });
  await email.safeRun({ to: 'ops@example.com', body: 'hello' });
  await weather.safeRun({ city: 'Porto' });
  await ag.close();
  return { path, text: readFileSync(path, 'utf8'), trust: [agent.id] };
}

/** `count` batched records (unsigned, covered by a checkpoint every 10,000), written fast. */
export async function bigLog(path: string, count: number): Promise<LogFile> {
  const agent = createIdentity({ secretKey: new Uint8Array(32).fill(1), name: 'bulk-agent' });
  const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(2), name: 'audit-log' });
  const sink = await createFileSink(path, { durability: 'buffered' });
  const log = createAuditLog({ sink, checkpoint: { signer: logKey, everyRecords: 10_000, everyMs: 0 } });
  const event = (i: number): AuditEvent => ({
    type: i % 2 === 0 ? 'call.requested' : 'call.completed',
    callId: `c${i >> 1}`,
    agent: agent.id,
    tool: ['search', 'fetch', 'summarize'][(i >> 1) % 3] as string,
    data:
      i % 2 === 0 ? { args: { q: `query ${i >> 1}` } } : { durationMs: 1.5, resultDigest: `sha256:${'cd'.repeat(32)}` },
  });
  for (let i = 0; i < count; i += 2_000) {
    const n = Math.min(2_000, count - i);
    await Promise.all(Array.from({ length: n }, (_, j) => log.appendBatched(event(i + j))));
  }
  await log.close();
  return { path, text: readFileSync(path, 'utf8'), trust: [logKey.id] };
}

/** One input of the corpus: a log's bytes, and the options `agentguard verify` is given with it. */
export interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly trust: readonly string[];
  readonly checkpoint?: string;
}

const lines = (text: string) => text.split('\n').slice(0, -1);
const join_ = (rows: readonly string[]) => `${rows.join('\n')}\n`;
const enc = (text: string) => new TextEncoder().encode(text);

/** The demo log and its tampered copies. */
export function tamperedCases(demo: LogFile, foreign: AgentIdentity): Case[] {
  const rows = lines(demo.text);
  const witness = readLog(demo.text).checkpoints.at(-1)?.note ?? '';
  const flip = enc(demo.text);
  // A byte in the middle of line 3 (a call.requested's data): the record no longer hashes to its hash.
  const at = rows.slice(0, 2).join('\n').length + 1 + Math.floor((rows[2]?.length ?? 0) / 2);
  flip[at] = (flip[at] as number) ^ 0x01;
  const badUtf8 = enc(demo.text);
  badUtf8[at] = 0xff;
  const swapped = [...rows];
  [swapped[1], swapped[2]] = [swapped[2] as string, swapped[1] as string];
  const base = { trust: demo.trust };
  return [
    { name: 'demo log, intact', bytes: enc(demo.text), ...base },
    { name: 'demo log, intact, extends its witness', bytes: enc(demo.text), ...base, checkpoint: witness },
    { name: 'demo log, not anchored (no trust)', bytes: enc(demo.text), trust: [] },
    { name: 'byte flip', bytes: flip, ...base },
    { name: 'invalid UTF-8 byte', bytes: badUtf8, ...base },
    { name: 'deleted record', bytes: enc(join_(rows.filter((_, i) => i !== 2))), ...base },
    { name: 'swapped records', bytes: enc(join_(swapped)), ...base },
    { name: 'truncated against a witness', bytes: enc(join_(rows.slice(0, 3))), ...base, checkpoint: witness },
    {
      name: 'forged witness checkpoint (body changed under its signature)',
      bytes: enc(demo.text),
      ...base,
      checkpoint: witness.replace(/\n(\d+)\n/, (_, n: string) => `\n${Number(n) + 1}\n`),
    },
    { name: 'foreign key (signed by a key that is not trusted)', bytes: enc(demo.text), trust: [foreign.id] },
    { name: 'torn last line', bytes: enc(demo.text.slice(0, -1)), ...base },
  ];
}

/** Writes a case's bytes to `dir`, for the file picker and for `verifyLogFile`. */
export function writeCase(dir: string, c: Case, index: number): string {
  const path = join(dir, `case-${index}.jsonl`);
  writeFileSync(path, c.bytes);
  return path;
}
