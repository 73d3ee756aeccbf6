/**
 * A 100,000-record log (AGENTGUARD_BENCH_RECORDS to change it) verified by the page in headless Chromium,
 * from picking the file to the verdict on screen (reading, the worker's verifyLog, the timeline, the
 * first rows drawn), against verifyLog on the same text in Node in the same run. The log is batched
 * (records covered by signed checkpoints), as the audit benchmark makes its big logs. Generating it is
 * not measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@agentguard/audit';
import type { BenchResult } from '../../../.config/bench-kit.js';
import { buildPage, launch, verifyInPage } from '../test/browser.js';
import { bigLog } from '../test/corpus.js';

const RECORDS = Number(process.env.AGENTGUARD_BENCH_RECORDS ?? 100_000);

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-bench-viewer-'));
  const browser = await launch();
  try {
    const url = await buildPage(join(dir, 'page'));
    const log = await bigLog(join(dir, 'big.jsonl'), RECORDS);
    let start = performance.now();
    const node = verifyLog(log.text, { trust: log.trust });
    const nodeSecs = (performance.now() - start) / 1000;
    if (!node.ok) throw new Error(`bench log does not verify: ${node.reason}`);
    const page = await browser.newPage();
    start = performance.now();
    const shown = await verifyInPage(page, url, log.path, { trust: log.trust }, 120_000);
    const pageSecs = (performance.now() - start) / 1000;
    if (shown.ok !== 'true') throw new Error(`the page did not verify the bench log: ${shown.reason ?? shown.ok}`);
    const base = `verifyLog in Node, ${node.records.toLocaleString('en-US')} records`;
    return [
      { name: base, opsPerSec: node.records / nodeSecs, note: `${nodeSecs.toFixed(1)} s` },
      {
        name: `viewer in headless Chromium, ${node.records.toLocaleString('en-US')} records`,
        opsPerSec: node.records / pageSecs,
        baseline: base,
        ratio: nodeSecs / pageSecs,
        note: `${pageSecs.toFixed(1)} s from picking the file to the verdict (target <= 10 s)`,
      },
    ];
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
