import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../test/run-command.js';
import { browserCommand, createViewCommand } from './view.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-view-'));
const agent = createIdentity({ secretKey: new Uint8Array(32).fill(3) });
// The built page is not there when running from source: a stand-in page, served as the real one would be.
const PAGE = '<!doctype html><title>AgentGuard audit viewer</title>';
const page = join(dir, 'viewer.html');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  writeFileSync(page, PAGE);
  const log = await openFileAuditLog(join(dir, 'audit.jsonl'));
  for (let i = 0; i < 3; i++) {
    await log.append({ type: 'call.completed', callId: `c${i}`, agent: agent.id, tool: 'search', data: {} }, agent);
  }
  await log.close();
});

/** GET from 127.0.0.1: status and body. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    // A fresh connection each time (no keep-alive), so a closed server is seen as closed.
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Starts `view` and resolves with the URL it prints, the run, and a way to stop it. */
function start(argv: readonly string[], open?: (url: string) => void) {
  const controller = new AbortController();
  let printed: (url: string) => void = () => {};
  const url = new Promise<string>((done) => {
    printed = done;
  });
  const command = createViewCommand({ page, ...(open === undefined ? {} : { open }) });
  const run = runCommand(command, argv, dir, {
    signal: controller.signal,
    onStdout: (all) => {
      const found = /^(http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(all);
      if (found?.[1] !== undefined) printed(found[1]);
    },
  });
  return { url: Promise.race([url, run.then((r) => Promise.reject(new Error(r.stderr)))]), run, controller };
}

describe('agentguard view', () => {
  it('serves the page and the log on 127.0.0.1 until aborted, then exits 0', async () => {
    const trust = ['--trust', agent.id];
    const { url, run, controller } = start(['audit.jsonl', '--no-open', '--port', '0', ...trust]);
    const at = new URL(await url);
    expect(at.hostname).toBe('127.0.0.1');
    expect(at.searchParams.getAll('trust')).toEqual([agent.id]);
    expect(await get(at.href)).toEqual({ status: 200, body: PAGE });
    const log = await get(new URL('log.jsonl', at).href);
    expect(log.status).toBe(200);
    expect(log.body.split('\n')).toHaveLength(4);
    expect((await get(`${at.origin}/wrong/`)).status).toBe(404);
    expect((await get(`${at.origin}/`)).status).toBe(404);
    controller.abort();
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Ctrl-C stops');
    // Closed: nothing answers any more.
    await expect(get(at.href)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('takes --log-key and --trust-file as verify does, and passes them to the page', async () => {
    const logKey = createIdentity().id;
    writeFileSync(
      join(dir, 'trust.json'),
      JSON.stringify({
        version: 1,
        keys: [
          { id: agent.id, role: 'agent' },
          { id: logKey, role: 'log' },
        ],
      }),
    );
    for (const keys of [
      ['--trust', agent.id, '--log-key', logKey],
      ['--trust-file', 'trust.json'],
    ]) {
      const { url, run, controller } = start(['audit.jsonl', '--no-open', ...keys]);
      const at = new URL(await url);
      expect(new Set(at.searchParams.getAll('trust'))).toEqual(new Set([agent.id, logKey]));
      expect(at.searchParams.getAll('logKey')).toEqual([logKey]);
      controller.abort();
      expect((await run).code).toBe(0);
    }
  });

  it('opens the browser on the printed URL unless --no-open', async () => {
    const opened: string[] = [];
    const { url, run, controller } = start(['audit.jsonl'], (u) => opened.push(u));
    const printed = await url;
    controller.abort();
    expect((await run).code).toBe(0);
    expect(opened).toEqual([printed]);
  });

  it('opens with xdg-open, open or rundll32, the URL one argument (no shell)', () => {
    const url = 'http://127.0.0.1:1/x/?trust=a&trust=b';
    expect(browserCommand(url, 'linux')).toEqual(['xdg-open', [url]]);
    expect(browserCommand(url, 'darwin')).toEqual(['open', [url]]);
    expect(browserCommand(url, 'win32')).toEqual(['rundll32', ['url.dll,FileProtocolHandler', url]]);
  });

  it.each([
    [[], 'missing <log>'],
    [['audit.jsonl', '--port', '70000'], '--port'],
    [['audit.jsonl', '--port', 'x'], '--port'],
    [['audit.jsonl', '--trust', 'did:key:nope'], '--trust'],
    [['missing.jsonl', '--no-open'], 'ERR_VIEWER_LOG_UNREADABLE'],
    [['audit.jsonl', '--no-open', '--checkpoint', 'missing.txt'], 'ERR_VIEWER_LOG_UNREADABLE'],
  ])('exits 2 on %j', async (argv, message) => {
    const r = await runCommand(createViewCommand({ page }), argv, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('exits 2 when the viewer page was not built', async () => {
    const command = createViewCommand({ page: join(dir, 'not-built.html') });
    const r = await runCommand(command, ['audit.jsonl', '--no-open'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ERR_VIEWER_PAGE_MISSING');
  });

  it('exits 2 when the port is taken', async () => {
    const first = start(['audit.jsonl', '--no-open']);
    const port = new URL(await first.url).port;
    const r = await runCommand(createViewCommand({ page }), ['audit.jsonl', '--no-open', '--port', port], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('EADDRINUSE');
    first.controller.abort();
    expect((await first.run).code).toBe(0);
  });
});
