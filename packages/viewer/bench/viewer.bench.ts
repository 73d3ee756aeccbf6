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
import { buildPage, launch } from '../test/browser.js';
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
    await page.goto(url);
    await page.fill('#trust', log.trust.join('\n'));
    start = performance.now();
    await page.setInputFiles('#file', log.path);
    await page.waitForSelector('#verdict[data-ok]', { timeout: 120_000 });
    const verdictSecs = (performance.now() - start) / 1000;
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 120_000 });
    const pageSecs = (performance.now() - start) / 1000;
    const ok = await page.$eval('#verdict', (el) => (el as HTMLElement).dataset.ok);
    // The worker's own time for reading the file and verifyLog, as the page shows it ("checked in").
    const workerSecs = await page.$eval('#verdict dl', (el) => el.lastElementChild?.textContent?.split(' ')[0] ?? '?');
    if (ok !== 'true') throw new Error('the page did not verify the bench log');
    const n = node.records.toLocaleString('en-US');
    const base = `verifyLog in Node, ${n} records`;
    return [
      { name: base, opsPerSec: node.records / nodeSecs, note: `${nodeSecs.toFixed(1)} s (SHA-256 by OpenSSL)` },
      {
        name: `viewer in headless Chromium, ${n} records, to the verdict`,
        opsPerSec: node.records / verdictSecs,
        baseline: base,
        ratio: nodeSecs / verdictSecs,
        note: `${verdictSecs.toFixed(1)} s from picking the file to verifyLog's verdict on screen (${workerSecs} s of it in the worker's verifyLog; target <= 10 s)`,
      },
      {
        name: `viewer in headless Chromium, ${n} records, to the timeline`,
        opsPerSec: node.records / pageSecs,
        baseline: base,
        ratio: nodeSecs / pageSecs,
        note: `${pageSecs.toFixed(1)} s until the calls are drawn too`,
      },
    ];
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
