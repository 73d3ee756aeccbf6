/**
 * The page in a real Chromium: for the demo log, a batched log, a 100,000-record log and every tampered log of
 * the corpus, the verdict and the marked line are the ones `agentguard verify` gives (`verifyLogFile`, as the CLI
 * calls it) and exactly `verifyLog`'s report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@agentguard/audit';
import { verifyLogFile } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage, launch, verifyInPage } from './browser.js';
import { bigLog, type Case, demoLog, type LogFile, tamperedCases, writeCase } from './corpus.js';

let dir: string;
let browser: Browser;
let page: Page;
let url: string;
let demo: LogFile;
let cases: Case[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentguard-viewer-'));
  [browser, url, demo] = await Promise.all([launch(), buildPage(join(dir, 'page')), demoLog(dir)]);
  page = await browser.newPage();
  cases = tamperedCases(demo, createIdentity({ name: 'foreign' }));
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Checks the page against the CLI's verifier for one input. */
async function agrees(c: Case, index: number): Promise<void> {
  const path = writeCase(dir, c, index);
  const options = { trust: c.trust, ...(c.checkpoint === undefined ? {} : { checkpoint: c.checkpoint }) };
  const cliOptions = {
    ...(c.trust.length === 0 ? {} : { trust: c.trust }),
    ...(c.checkpoint === undefined ? {} : { checkpoint: c.checkpoint }),
  };
  const cli = await verifyLogFile(path, { ...cliOptions, workers: 0 });
  // The page gives the verifier the bytes (strict UTF-8 per line), as verifyLogFile reads the file.
  const expected = verifyLog(c.bytes, cliOptions);
  const shown = await verifyInPage(page, url, path, options);
  expect(shown.report, c.name).toEqual(expected);
  expect(shown.ok, c.name).toBe(String(cli.ok));
  if (cli.ok) {
    expect(shown.line).toBeUndefined();
    expect(shown.badRows).toEqual([]);
    return;
  }
  expect({ line: shown.line, code: shown.code, reason: shown.reason }, c.name).toEqual({
    line: cli.line,
    code: cli.code,
    reason: cli.reason,
  });
  // Nothing at or after the bad line is shown as verified.
  expect(
    shown.verifiedLines.every((l) => cli.line > 0 && l < cli.line),
    c.name,
  ).toBe(true);
}

describe('the viewer in Chromium agrees with agentguard verify', { timeout: 90_000 }, () => {
  it('on the demo log written by the guard, with the calls drawn', async () => {
    await agrees(cases[0] as Case, 0);
    const rows = await page.$$eval('tr[data-status]', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(5);
    expect(rows.some((r) => r.includes('transfer_funds') && r.includes('denied') && r.includes('no-money-moves'))).toBe(
      true,
    );
    expect(rows.some((r) => r.includes('send_email') && r.includes('failed') && r.includes('mail server down'))).toBe(
      true,
    );
  });

  it('proves a verified record included in its checkpointed tree, on request', async () => {
    await agrees(cases[0] as Case, 0);
    await page.click('tr[data-status=verified]');
    await page.click('#prove');
    await page.waitForFunction(() => (document.getElementById('proof')?.textContent ?? '') !== '');
    expect(await page.textContent('#proof')).toMatch(/^✔ included in the tree of \d+ records/);
  });

  it('on every tampered log of the corpus, naming the same line, code and reason', async () => {
    for (const [i, c] of cases.entries()) await agrees(c, i);
  }, 120_000);

  it('marks the call of a tampered record and everything after it as unverified', async () => {
    const flip = cases.find((c) => c.name === 'byte flip') as Case;
    const shown = await verifyInPage(page, url, writeCase(dir, flip, 99), { trust: flip.trust });
    expect(shown.line).toBe(3);
    expect(shown.badRows).toEqual(['3 4']);
    const statuses = await page.$$eval('tr[data-status]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.status));
    expect(statuses).toEqual(['verified', 'bad', 'unverified', 'unverified', 'unverified']);
  });

  it('gives no verdict on a log with no events, as agentguard verify refuses one', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const shown = await verifyInPage(page, url, empty, { trust: demo.trust });
    expect(shown.ok).toBe('empty');
    expect(shown.report).toEqual(verifyLog('', { trust: demo.trust }));
    expect(shown.reason).toBe('0 record(s), 0 checkpoint(s): nothing was verified.');
  });

  it('on a batched log: checkpoints cover the unsigned records', async () => {
    const big = await bigLog(join(dir, 'batched.jsonl'), 2_500);
    await agrees({ name: 'batched', bytes: new TextEncoder().encode(big.text), trust: big.trust }, 100);
    // Cut off the final checkpoint: the last batched records are covered by nothing.
    const cut = big.text.split('\n').slice(0, -2).join('\n').concat('\n');
    await agrees({ name: 'batched, uncovered tail', bytes: new TextEncoder().encode(cut), trust: big.trust }, 101);
  });

  it('on a 100,000-record log, with the same verdict as the CLI (its speed is measured in pnpm bench viewer)', async () => {
    const big = await bigLog(join(dir, 'big.jsonl'), 100_000);
    await agrees({ name: '100k records', bytes: new TextEncoder().encode(big.text), trust: big.trust }, 102);
  }, 240_000);
});
