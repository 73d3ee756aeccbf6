/**
 * Verification throughput: a signed log in full against the same number of raw
 * Ed25519 verifications in the same run, and a large batched log (tree and
 * checkpoints only) against plain SHA-256 of the same bytes.
 */
import { createIdentity, sha256, sign, utf8, verify } from '@agentguard/identity';
import { type AuditEvent, createAuditLog, createMemorySink, verifyLog } from '../src/index.js';

interface BenchResult {
  name: string;
  opsPerSec: number;
  baseline?: string;
  ratio?: number;
  note?: string;
}

// Pure-JS Ed25519 verifies at ~0.25 ms here and a record costs ~0.5 ms in all, so a full
// 1,000,000-record verification would take ~8 minutes single-threaded; the logs are kept small
// enough for this file to stay near 20 s. Worker-thread fan-out is not implemented.
const SIGNED = 6_000;
const BATCHED = 50_000;

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(1) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(2) });
const event = (i: number): AuditEvent => ({
  type: 'call.completed',
  callId: `c${i}`,
  agent: agent.id,
  tool: 'search',
  data: { argsDigest: `sha256:${'ab'.repeat(32)}`, resultDigest: `sha256:${'cd'.repeat(32)}`, durationMs: 1.5 },
});

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // Full verification of a signed log vs raw verifies.
  const signedSink = createMemorySink();
  const signedLog = createAuditLog({
    sink: signedSink,
    checkpoint: { signer: logKey, everyRecords: 1000, everyMs: 0 },
  });
  await Promise.all(Array.from({ length: SIGNED }, (_, i) => signedLog.append(event(i), agent)));
  await signedLog.close();
  const text = signedSink.text();
  const records = signedSink.lines.length;
  let start = performance.now();
  const report = verifyLog(text, { trust: [agent.id, logKey.id] });
  const fullSecs = (performance.now() - start) / 1000;
  if (!report.ok) throw new Error(`bench log does not verify: ${report.reason}`);
  const secret = new Uint8Array(32).fill(1);
  const message = utf8('agentguard-audit-record-v1\n'.padEnd(91, '0'));
  const signature = sign(message, secret);
  const publicKey = agent.publicKey;
  verify(signature, message, publicKey);
  start = performance.now();
  for (let i = 0; i < records; i++) verify(signature, message, publicKey);
  const rawSecs = (performance.now() - start) / 1000;
  results.push({ name: `raw Ed25519 verify x${records}`, opsPerSec: records / rawSecs });
  results.push({
    name: `verifyLog full, ${records} signed records`,
    opsPerSec: records / fullSecs,
    baseline: `raw Ed25519 verify x${records}`,
    ratio: rawSecs / fullSecs,
    note: `${records} records, not 1,000,000 (pure-JS Ed25519, one thread)`,
  });

  // Tree and checkpoints only: a large batched log vs SHA-256 of the same bytes.
  const batchedSink = createMemorySink();
  const batchedLog = createAuditLog({
    sink: batchedSink,
    checkpoint: { signer: logKey, everyRecords: 10_000, everyMs: 0 },
  });
  for (let i = 0; i < BATCHED; i += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, j) => batchedLog.appendBatched(event(i + j))));
  }
  await batchedLog.close();
  const big = batchedSink.text();
  start = performance.now();
  const bigReport = verifyLog(big, { trust: [logKey.id] });
  const treeSecs = (performance.now() - start) / 1000;
  if (!bigReport.ok) throw new Error(`batched bench log does not verify: ${bigReport.reason}`);
  const lines = batchedSink.lines.map((l) => utf8(l));
  start = performance.now();
  for (const bytes of lines) sha256(bytes);
  const shaSecs = (performance.now() - start) / 1000;
  const n = batchedSink.lines.length;
  results.push({ name: `SHA-256 of ${n} record lines`, opsPerSec: n / shaSecs });
  results.push({
    name: `verifyLog tree + checkpoints, ${n} batched records`,
    opsPerSec: n / treeSecs,
    baseline: `SHA-256 of ${n} record lines`,
    ratio: shaSecs / treeSecs,
    note: 'strict parse, schema, canonical form, hash, chain, leaf, checkpoint roots and signatures',
  });
  return results;
}
