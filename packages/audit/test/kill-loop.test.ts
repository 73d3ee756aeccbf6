import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIdentity } from '@agentguard/identity';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileAuditLog } from '../src/file.js';
import { verifyLog } from '../src/verify/verify.js';

// Crash safety with a real process: append in a child, SIGKILL it at a random moment, reopen, repeat.
// Every record the child was told is durable must be in the log (or, for a batched record no checkpoint had covered
// yet, set aside in <log>.uncovered and named by a log.recovered record), and the log must verify.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/append-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentguard-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  acked: string[];
  opened: string;
}

function runAndKill(path: string, durability: string, signing: string, killAfterAcks: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions', '@agentguard/source', '--import', 'tsx', CHILD, path, durability, signing],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acked: string[] = [];
    let opened = '';
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('open ')) opened = line;
        if (line.startsWith('ack ')) acked.push(line.split(' ')[2] as string);
      }
      if (acked.length >= killAfterAcks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr.slice(0, 2000)}`));
      else resolve({ acked, opened });
    });
  });
}

const LOG_KEY = createIdentity({ secretKey: new Uint8Array(32).fill(11) });
const lineCount = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;

describe('kill loop (SIGKILL while appending)', () => {
  it.each([
    ['group', 'signed'],
    ['fsync', 'signed'],
    ['group', 'mixed'],
  ])(
    'loses no acknowledged record and always reopens to a verifiable log (%s, %s records)',
    async (durability, signing) => {
      const path = join(dir, `${durability}-${signing}.jsonl`);
      const allAcked: string[] = [];
      let torn = 0;
      let uncovered = 0;
      let recoveries = 0;
      const count = (opened: string) => {
        const [, tornBytes, records] = /^open \d+ torn (\d+) uncovered (\d+)$/.exec(opened) ?? [];
        expect(tornBytes).toBeDefined();
        if (tornBytes !== '0') torn++;
        uncovered += Number(records);
        if (tornBytes !== '0' || records !== '0') recoveries++;
      };
      for (let round = 0; round < 6; round++) {
        const { acked, opened } = await runAndKill(path, durability, signing, 5 + ((round * 37) % 60));
        count(opened);
        allAcked.push(...acked);
      }
      // Reopened once more by its writer, as the next run would: what the last kill left is set aside too.
      const last = await openFileAuditLog(path, { checkpoint: { signer: LOG_KEY, everyRecords: 20, everyMs: 0 } });
      count(`open ${last.size} torn ${last.torn?.bytes ?? 0} uncovered ${last.uncovered?.records ?? 0}`);
      await last.close();
      const text = readFileSync(path, 'utf8');
      expect(verifyLog(text)).toMatchObject({ ok: true });
      const callIdsOf = (lines: string) =>
        lines
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).callId as string | undefined);
      const callIds = new Set(callIdsOf(text));
      const setAside = new Set(
        existsSync(`${path}.uncovered`) ? callIdsOf(readFileSync(`${path}.uncovered`, 'utf8')) : [],
      );
      const lost = allAcked.filter((id) => !callIds.has(id) && !setAside.has(id));
      expect(lost).toEqual([]);
      expect(allAcked.length).toBeGreaterThan(30);
      // Only batched records are ever uncovered: a log of signed records keeps every record it wrote whole.
      if (signing === 'signed') expect(uncovered).toBe(0);
      // Seven reopens after kills at random points, with a checkpoint every 20 records: dozens are set aside.
      else expect(uncovered).toBeGreaterThan(0);
      expect(lineCount(`${path}.uncovered`)).toBe(uncovered);
      // Torn tails happen or not depending on timing; each one found on reopen was set aside in
      // <log>.torn and recorded in the log, never silently dropped.
      expect(lineCount(`${path}.torn`)).toBe(torn);
      const recovered = text.split('\n').filter((l) => l.includes('"type":"log.recovered"')).length;
      expect(recovered).toBe(recoveries);
    },
    120_000,
  );
});
