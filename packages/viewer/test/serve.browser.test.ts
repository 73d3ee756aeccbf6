/**
 * `serveViewer` (what `agentguard view <log>` runs): the page served on 127.0.0.1 loads the log, the
 * witness and the trusted keys by itself and shows verifyLog's verdict; the server answers nothing but
 * its own random path on its own Host.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLog, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveViewer } from '../src/serve.js';
import { buildPage, launch } from './browser.js';
import { demoLog, type LogFile } from './corpus.js';

let dir: string;
let browser: Browser;
let page: string;
let demo: LogFile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentguard-viewer-serve-'));
  let url: string;
  [browser, url, demo] = await Promise.all([launch(), buildPage(join(dir, 'page')), demoLog(dir)]);
  page = fileURLToPath(url);
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** GET with a chosen Host header, to play a DNS-rebinding page. */
function get(url: string, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host === undefined ? {} : { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveViewer', { timeout: 90_000 }, () => {
  it('serves the page and the log on 127.0.0.1; the browser verifies it against the witness and trust', async () => {
    const { writeFileSync } = await import('node:fs');
    const witnessPath = join(dir, 'witness.txt');
    writeFileSync(witnessPath, readLog(demo.text).checkpoints.at(-1)?.note ?? '');
    const server = await serveViewer(demo.path, { trust: demo.trust, checkpoint: witnessPath, page });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/\?trust=did%3Akey%3A/);
      const tab = await browser.newPage();
      await tab.goto(server.url);
      await tab.waitForSelector('body[data-state=done], body[data-state=error]');
      const report = await tab.evaluate(() => JSON.parse(document.body.dataset.report ?? 'null'));
      const expected = verifyLog(demo.text, {
        trust: demo.trust,
        checkpoint: readLog(demo.text).checkpoints.at(-1)?.note ?? '',
      });
      expect(report).toEqual(expected);
      expect(expected).toMatchObject({ ok: true, anchored: true });
      await tab.close();
    } finally {
      await server.close();
    }
  });

  it('passes log keys to the page: a checkpoint signed by another key fails there, as with verify --log-key', async () => {
    const signers = readLog(demo.text).checkpoints.map((c) => c.signer);
    const other = createIdentity().id;
    for (const logKeys of [[...new Set(signers)], [other]]) {
      const server = await serveViewer(demo.path, { trust: [...demo.trust, other], logKeys, page });
      try {
        expect(new URL(server.url).searchParams.getAll('logKey')).toEqual(logKeys);
        const tab = await browser.newPage();
        await tab.goto(server.url);
        await tab.waitForSelector('body[data-state=done], body[data-state=error]');
        const report = await tab.evaluate(() => JSON.parse(document.body.dataset.report ?? 'null'));
        const expected = verifyLog(demo.text, { trust: [...demo.trust, other], checkpointKeys: logKeys });
        expect(report).toEqual(expected);
        expect(expected.ok).toBe(logKeys[0] !== other);
        await tab.close();
      } finally {
        await server.close();
      }
    }
    await expect(serveViewer(demo.path, { page, logKeys: ['nope'] })).rejects.toThrow(TypeError);
  });

  it('answers 404 to other paths and to another Host (DNS rebinding)', async () => {
    const server = await serveViewer(demo.path, { page });
    try {
      const { origin, pathname } = new URL(server.url);
      expect(await get(`${origin}${pathname}log.jsonl`)).toBe(200);
      expect(await get(`${origin}/log.jsonl`)).toBe(404);
      expect(await get(`${origin}${pathname}witness.txt`)).toBe(404);
      expect(await get(`${origin}${pathname}log.jsonl`, 'attacker.example')).toBe(404);
      expect(await get(`${origin}/${'0'.repeat(32)}/log.jsonl`)).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('fails with a code when the page is not built or the log cannot be read, and on bad options', async () => {
    await expect(serveViewer(demo.path, { page: join(dir, 'nope.html') })).rejects.toMatchObject({
      code: 'ERR_VIEWER_PAGE_MISSING',
    });
    await expect(serveViewer(join(dir, 'missing.jsonl'), { page })).rejects.toMatchObject({
      code: 'ERR_VIEWER_LOG_UNREADABLE',
    });
    await expect(serveViewer(demo.path, { page, checkpoint: join(dir, 'none.txt') })).rejects.toMatchObject({
      code: 'ERR_VIEWER_LOG_UNREADABLE',
    });
    await expect(serveViewer(demo.path, { page, trust: ['not a did'] })).rejects.toThrow(TypeError);
    await expect(serveViewer(demo.path, { page, port: 70_000 })).rejects.toThrow(RangeError);
    await expect(serveViewer('', { page })).rejects.toThrow(TypeError);
  });
});
