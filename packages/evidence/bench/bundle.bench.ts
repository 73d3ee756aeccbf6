/**
 * `incident verify` speed: verifyBundle of a bundle of every record of a log (each record parsed, hashed, its
 * signature verified, its c2sp.org/tlog-proof inclusion proof checked, the manifest and checkpoints checked),
 * against plain `verifyLog` of the same log in the same run (the chain check, no proofs). Generating the log and
 * the bundle is not measured. Each is timed in two interleaved rounds, best of each (the machine may be shared).
 * Two logs: records signed one by one (an Ed25519 verification each), and batched records (authenticated by the
 * log key's checkpoints, so by their inclusion proofs alone). AGENTGUARD_BENCH_RECORDS sets the number of records (default 20,000).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { utf8 } from '@agentguard/statement';
import type { BenchResult } from '../../../.config/bench-kit.js';
import { exportBundle, verifyBundle, verifyBundleParallel, writeBundleDirectory } from '../src/index.js';

const RECORDS = Number(process.env.AGENTGUARD_BENCH_RECORDS ?? 20_000);
/** Records of the bundle the built command verifies: enough that Node's start and loading are a small share. */
const CLI_RECORDS = Number(process.env.AGENTGUARD_BENCH_CLI_RECORDS ?? 100_000);
const CHUNK = 2_000;

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(1) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(2) });
const exporter = createIdentity({ secretKey: new Uint8Array(32).fill(3) });

async function writeLog(count: number, batched = false): Promise<Uint8Array> {
  const sink = createMemorySink();
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
  return utf8(sink.text());
}

function event(i: number) {
  return {
    type: 'call.completed' as const,
    callId: `c${i}`,
    agent: agent.id,
    tool: 'search',
    data: { resultDigest: `sha256:${'cd'.repeat(32)}`, durationMs: 1.5 },
  };
}

const seconds = (start: number) => (performance.now() - start) / 1000;

/** Times verifyBundle and verifyLog of one log, interleaved, best of two rounds each. */
async function compare(log: Uint8Array, label: string): Promise<BenchResult[]> {
  const bundle = await exportBundle({ log, signer: exporter });
  const trust = [exporter.id];
  let bundleSecs = Number.POSITIVE_INFINITY;
  let parallelSecs = Number.POSITIVE_INFINITY;
  let logSecs = Number.POSITIVE_INFINITY;
  let records = 0;
  for (let round = 0; round < 2; round++) {
    let start = performance.now();
    const report = verifyBundle(bundle.files, { trust });
    bundleSecs = Math.min(bundleSecs, seconds(start));
    if (!report.ok) throw new Error(`bench bundle does not verify: ${report.findings[0]?.reason}`);
    records = report.records;
    start = performance.now();
    const parallel = await verifyBundleParallel(bundle.files, { trust });
    parallelSecs = Math.min(parallelSecs, seconds(start));
    if (!parallel.ok || parallel.records !== records) throw new Error('bench bundle does not verify in parallel');
    start = performance.now();
    const plain = verifyLog(log, { trust: [agent.id, logKey.id], checkpointKeys: [logKey.id] });
    logSecs = Math.min(logSecs, seconds(start));
    if (!plain.ok) throw new Error(`bench log does not verify: ${plain.reason}`);
  }
  const baseline = `verifyLog of the same ${records.toLocaleString('en-US')} ${label} records, one thread`;
  return [
    { name: baseline, opsPerSec: records / logSecs, note: `${logSecs.toFixed(2)} s` },
    {
      name: `verifyBundle, ${records.toLocaleString('en-US')} ${label} records with inclusion proofs`,
      opsPerSec: records / bundleSecs,
      baseline,
      ratio: logSecs / bundleSecs,
      note: `${bundleSecs.toFixed(2)} s`,
    },
    {
      name: `verifyBundleParallel (incident verify), ${records.toLocaleString('en-US')} ${label} records, ${availableParallelism()} CPUs`,
      opsPerSec: records / parallelSecs,
      baseline,
      ratio: logSecs / parallelSecs,
      note: `${parallelSecs.toFixed(2)} s, worker threads included; target >= 10,000 records/s`,
    },
  ];
}

/**
 * `agentguard incident verify` as users run it: the built command (packages/cli/dist, `pnpm build` first) in a
 * process of its own, timed from spawn to exit (Node's start, reading the bundle, worker threads and all).
 */
async function command(log: Uint8Array, label: string): Promise<BenchResult[]> {
  const bin = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
  if (!existsSync(bin))
    return [{ name: `agentguard incident verify (built), ${label}: run pnpm build first`, opsPerSec: 0 }];
  const bundle = await exportBundle({ log, signer: exporter });
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-bench-bundle-'));
  try {
    await writeBundleDirectory(join(dir, 'b'), bundle);
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 2; round++) {
      const start = performance.now();
      const run = spawnSync(process.execPath, [bin, 'incident', 'verify', join(dir, 'b'), '--trust', exporter.id], {
        encoding: 'utf8',
      });
      best = Math.min(best, seconds(start));
      if (run.status !== 0) throw new Error(`incident verify failed: ${run.stderr}`);
    }
    return [
      {
        name: `agentguard incident verify (built command), ${bundle.records.toLocaleString('en-US')} ${label} records`,
        opsPerSec: bundle.records / best,
        note: `${best.toFixed(2)} s from spawn to exit, ${availableParallelism()} CPUs; target >= 10,000 records/s`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  return [
    ...(await compare(await writeLog(RECORDS), 'signed')),
    ...(await command(await writeLog(CLI_RECORDS), 'signed')),
    ...(await compare(await writeLog(RECORDS, true), 'batched')),
    ...(await command(await writeLog(CLI_RECORDS, true), 'batched')),
  ];
}
