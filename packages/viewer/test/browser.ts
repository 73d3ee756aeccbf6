/**
 * Drives the system Chromium (Debian's `chromium` package; `AGENTGUARD_CHROMIUM` to point elsewhere)
 * with playwright-core, which never downloads a browser. Headless, and `--no-sandbox` because CI runs
 * as root. Nothing is loaded from the network: the page is a file:// URL or a 127.0.0.1 server.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LogReport } from '@agentguard/audit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildViewerHtml } from '../scripts/build-html.js';

const CANDIDATES = [process.env.AGENTGUARD_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Launches the system Chromium; fails with how to install it when there is none. */
export async function launch(): Promise<Browser> {
  const executablePath = CANDIDATES.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (executablePath === undefined) {
    throw new Error('no Chromium found: apt-get install -y chromium (or set AGENTGUARD_CHROMIUM to a Chromium binary)');
  }
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Builds the page into `dir` and returns its file:// URL. */
export async function buildPage(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'viewer.html');
  writeFileSync(path, await buildViewerHtml());
  return pathToFileURL(path).href;
}

/** What the page shows once it is done. */
export interface PageVerdict {
  readonly ok: string;
  readonly line: number | undefined;
  readonly code: string | undefined;
  readonly reason: string | undefined;
  /** `data-line` of the call rows marked bad. */
  readonly badRows: readonly string[];
  /** Lines of the rows still shown as verified. */
  readonly verifiedLines: readonly number[];
  /** The report, as the worker posted it (read back from the page for exact comparison). */
  readonly report: LogReport | undefined;
}

/** Opens `url`, fills trust and witness, picks `file`, waits for the verdict and reads it off the page. */
export async function verifyInPage(
  page: Page,
  url: string,
  file: string,
  options: { trust?: readonly string[]; checkpoint?: string } = {},
  timeout = 30_000,
): Promise<PageVerdict> {
  await page.goto(url);
  await page.fill('#trust', (options.trust ?? []).join('\n'));
  await page.fill('#witness', options.checkpoint ?? '');
  await page.setInputFiles('#file', file);
  await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout });
  return page.evaluate(() => {
    const verdict = document.getElementById('verdict') as HTMLElement;
    const rows = [...document.querySelectorAll<HTMLElement>('tr[data-status]')];
    const raw = document.body.dataset.report;
    return {
      ok: verdict.dataset.ok ?? '',
      line: verdict.dataset.line === undefined ? undefined : Number(verdict.dataset.line),
      code: verdict.dataset.code,
      reason: verdict.querySelector('.reason')?.textContent ?? undefined,
      badRows: rows.filter((r) => r.dataset.status === 'bad').map((r) => r.dataset.line ?? ''),
      verifiedLines: rows
        .filter((r) => r.dataset.status === 'verified')
        .flatMap((r) => (r.dataset.line ?? '').split(' ').map(Number)),
      report: raw === undefined ? undefined : (JSON.parse(raw) as LogReport),
    };
  });
}
