/**
 * Takes the README's two screenshots (docs/verified.png, docs/tampered.png) in headless Chromium:
 * the demo log verified, and the same log with one byte flipped.
 *
 * Usage: node --conditions @agentguard/source --import tsx scripts/screenshots.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIdentity } from '@agentguard/identity';
import { buildPage, launch, verifyInPage } from '../test/browser.js';
import { demoLog, tamperedCases, writeCase } from '../test/corpus.js';

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentguard-viewer-shots-'));
const browser = await launch();
try {
  const url = await buildPage(join(dir, 'page'));
  const demo = await demoLog(dir, createIdentity({ name: 'support-agent' }));
  const cases = tamperedCases(demo, createIdentity());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  for (const [file, name] of [
    ['verified.png', 'demo log, intact, extends its witness'],
    ['tampered.png', 'byte flip'],
  ] as const) {
    const c = cases.find((x) => x.name === name);
    if (c === undefined) throw new Error(`no case ${name}`);
    await verifyInPage(page, url, writeCase(dir, c, 0), c);
    await page.screenshot({ path: join(docs, file), fullPage: true });
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
