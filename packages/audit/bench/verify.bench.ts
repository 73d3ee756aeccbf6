/**
 * Verification of a 100,000-record log (AGENTGUARD_BENCH_RECORDS=1000000 for the 1M case, which takes
 * several minutes to generate):
 * - in full (parse, schema, canonical form, hash, chain, tree, checkpoints and every
 *   Ed25519 signature), streamed from disk on worker threads and on one thread, against
 *   raw Ed25519 verification in the same run of the log's own record signatures (the
 *   Ed25519 work a full verification must do), and of one signature as many times;
 * - tree and checkpoints only (a batched log: records unsigned, covered by signed
 *   checkpoints), against plain SHA-256 of the same bytes.
 * Generating the two logs is not measured. The one-thread run and the raw verifications are timed in
 * two interleaved rounds, best of each (the machine may be shared).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity, sign, verify } from '@agentguard/identity';
import { fromBase64, sha256, utf8 } from '@agentguard/statement';
import { type AuditEvent, createAuditLog } from '../src/index.js';
import { createFileSink } from '../src/file.js';
import { recordSigningBytes } from '../src/record/record.js';
import { verifyLogFile } from '../src/verify/file.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

const RECORDS = Number(process.env.AGENTGUARD_BENCH_RECORDS ?? 100_000);
const CHUNK = 2_000;

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(1) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(2) });
const event = (i: number): AuditEvent => ({
  type: 'call.completed',
  callId: `c${i}`,
  agent: agent.id,
  tool: 'search',
  data: { argsDigest: `sha256:${'ab'.repeat(32)}`, resultDigest: `sha256:${'cd'.repeat(32)}`, durationMs: 1.5 },
});

/** Writes `count` records (signed by the agent, or batched) to a file, a checkpoint every 10,000. */
async function writeLog(path: string, count: number, batched: boolean): Promise<void> {
  const sink = await createFileSink(path, { durability: 'buffered' });
  const log = createAuditLog({ sink, checkpoint: { signer: logKey, everyRecords: 10_000, everyMs: 0 } });
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i);
    await Promise.all(
      Array.from({ length: n }, (_, j) =>
        batched ? log.appendBatched(event(i + j)) : log.append(event(i + j), agent),
      ),
    );
  }
  await log.close();
}

/**
 * Each record's own signature, the bytes it covers and its signer's key, decoded before anything is timed: the
 * Ed25519 work a full verification of the log must do, as a raw baseline.
 */
function ownSignatures(path: string): Array<readonly [Uint8Array, Uint8Array, Uint8Array]> {
  const keys = new Map<string, Uint8Array>([
    [agent.id, agent.publicKey],
    [logKey.id, logKey.publicKey],
  ]);
  const file = readFileSync(path);
  const out: Array<readonly [Uint8Array, Uint8Array, Uint8Array]> = [];
  for (let from = 0, nl = file.indexOf(10); nl !== -1; from = nl + 1, nl = file.indexOf(10, from)) {
    const record = JSON.parse(file.subarray(from, nl).toString('utf8')) as {
      sig: string;
      hash: string;
      signer: string;
    };
    out.push([fromBase64(record.sig), recordSigningBytes(record.hash), keys.get(record.signer) as Uint8Array]);
  }
  return out;
}

const seconds = (start: number) => (performance.now() - start) / 1000;
const count = (n: number) => n.toLocaleString('en-US');

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-bench-verify-'));
  try {
    const trust = [agent.id, logKey.id];
    const signed = join(dir, 'signed.jsonl');
    await writeLog(signed, RECORDS, false);

    let start = performance.now();
    const parallel = await verifyLogFile(signed, { trust });
    const parallelSecs = seconds(start);
    if (!parallel.ok) throw new Error(`bench log does not verify: ${parallel.reason}`);
    const records = parallel.records;

    const secret = new Uint8Array(32).fill(1);
    const message = utf8(`agentguard-audit-record-v1\n${'ab'.repeat(32)}`);
    const signature = sign(message, secret);
    const publicKey = agent.publicKey;
    const own = ownSignatures(signed);
    for (let i = 0; i < 1000; i++) verify(signature, message, publicKey);
    let singleSecs = Number.POSITIVE_INFINITY;
    let rawSecs = Number.POSITIVE_INFINITY;
    let ownSecs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 2; round++) {
      start = performance.now();
      const single = await verifyLogFile(signed, { trust, workers: 0 });
      singleSecs = Math.min(singleSecs, seconds(start));
      if (!single.ok) throw new Error(`bench log does not verify: ${single.reason}`);
      start = performance.now();
      for (let i = 0; i < records; i++) verify(signature, message, publicKey);
      rawSecs = Math.min(rawSecs, seconds(start));
      start = performance.now();
      for (const [sig, signedBytes, key] of own) if (!verify(sig, signedBytes, key)) throw new Error('bad signature');
      ownSecs = Math.min(ownSecs, seconds(start));
    }

    const raw = `raw Ed25519 verify of one signature x${count(records)}, one thread`;
    const ownRaw = `raw Ed25519 verify of the log's own ${count(records)} record signatures, one thread`;
    results.push({ name: raw, opsPerSec: records / rawSecs });
    results.push({
      name: ownRaw,
      opsPerSec: records / ownSecs,
      baseline: raw,
      ratio: rawSecs / ownSecs,
      note: 'each record signature, decoded before timing: the Ed25519 work a full verification must do',
    });
    results.push({
      name: `verifyLogFile full, ${count(records)} records, ${parallel.workers} workers`,
      opsPerSec: records / parallelSecs,
      baseline: ownRaw,
      ratio: ownSecs / parallelSecs,
      note: `${parallelSecs.toFixed(1)} s; ${availableParallelism()} CPUs`,
    });
    results.push({
      name: `verifyLogFile full, ${count(records)} records, one thread`,
      opsPerSec: records / singleSecs,
      baseline: ownRaw,
      ratio: ownSecs / singleSecs,
      note: `${singleSecs.toFixed(1)} s; ${(rawSecs / singleSecs).toFixed(2)}x the raw verify of one signature`,
    });
    rmSync(signed);

    const batched = join(dir, 'batched.jsonl');
    await writeLog(batched, RECORDS, true);
    start = performance.now();
    const tree = await verifyLogFile(batched, { trust: [logKey.id] });
    const treeSecs = seconds(start);
    if (!tree.ok) throw new Error(`batched bench log does not verify: ${tree.reason}`);
    // The lines as bytes (views into the file's buffer: a 1,000,000-record log is too long for one string).
    const file = readFileSync(batched);
    const lines: Uint8Array[] = [];
    for (let from = 0, nl = file.indexOf(10); nl !== -1; from = nl + 1, nl = file.indexOf(10, from)) {
      lines.push(file.subarray(from, nl));
    }
    start = performance.now();
    for (const bytes of lines) sha256(bytes);
    const shaSecs = seconds(start);
    const sha = `SHA-256 of the same ${count(lines.length)} record lines`;
    results.push({ name: sha, opsPerSec: lines.length / shaSecs });
    results.push({
      name: `verifyLogFile tree + checkpoints, ${count(tree.records)} batched records`,
      opsPerSec: tree.records / treeSecs,
      baseline: sha,
      ratio: shaSecs / treeSecs,
      note: `${treeSecs.toFixed(1)} s: UTF-8, parse proven canonical (strict parser for any other line), record fields, hash, chain, leaf, checkpoint roots and signatures`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
