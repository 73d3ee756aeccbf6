/**
 * Append throughput of the audit log for each durability mode, with 1 and 64
 * concurrent writers, against an in-memory sink (the cost of hashing, signing
 * and sequencing alone) measured in the same run; plus batched mode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity } from '@agentguard/identity';
import { type AuditEvent, type AuditLog, createAuditLog, createMemorySink } from '../src/index.js';
import { type Durability, openFileAuditLog } from '../src/file.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(1) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(2) });
const event = (i: number): AuditEvent => ({
  type: 'call.completed',
  callId: `c${i}`,
  agent: agent.id,
  tool: 'search',
  data: { argsDigest: `sha256:${'ab'.repeat(32)}`, resultDigest: `sha256:${'cd'.repeat(32)}`, durationMs: 1.5 },
});

/** Appends for about `ms` with `writers` concurrent loops; returns records per second. */
async function measure(log: AuditLog, writers: number, ms: number, batched = false): Promise<number> {
  let i = 0;
  const append = () => (batched ? log.appendBatched(event(i++)) : log.append(event(i++), agent));
  // Warm up.
  await Promise.all(Array.from({ length: writers }, () => append()));
  const start = performance.now();
  let count = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() - start < ms) {
        await append();
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-bench-'));
  const results: BenchResult[] = [];
  try {
    for (const writers of [1, 64]) {
      const memory = createAuditLog({ sink: createMemorySink() });
      const base = await measure(memory, writers, 1000);
      await memory.close();
      const baseName = `append, memory sink, ${writers} writer(s)`;
      results.push({ name: baseName, opsPerSec: base, note: 'hash + Ed25519 sign + sequencing, no I/O' });
      for (const durability of ['fsync', 'group', 'buffered'] as Durability[]) {
        const log = await openFileAuditLog(join(dir, `${durability}-${writers}.jsonl`), { durability });
        const ops = await measure(log, writers, 1000);
        await log.close();
        results.push({
          name: `append, file ${durability}, ${writers} writer(s)`,
          opsPerSec: ops,
          baseline: baseName,
          ratio: ops / base,
          ...(durability === 'buffered' ? { note: 'lossy on crash' } : {}),
        });
      }
      const batched = await openFileAuditLog(join(dir, `batched-${writers}.jsonl`), {
        durability: 'group',
        checkpoint: { signer: logKey, everyRecords: 1000, everyMs: 1000 },
      });
      const ops = await measure(batched, writers, 1000, true);
      await batched.close();
      results.push({
        name: `append batched (checkpoint every 1000), file group, ${writers} writer(s)`,
        opsPerSec: ops,
        baseline: baseName,
        ratio: ops / base,
        note: 'no per-record signature; covered by the next checkpoint',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
