/**
 * Every command that reads an audit log hands the audit library the log's BYTES, so a line that is not
 * strict UTF-8 is a verdict at that line (exit 1) with the library's code and reason, never a U+FFFD that
 * reads like the original. The attack: a record holding U+FFFD (EF BF BD) with those three bytes replaced
 * by FF, which a replacing decoder turns back into the very same text (so the old CLI called it intact).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@agentguard/audit';
import { openAuditDirectory, openFileAuditLog, verifyLogFile } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTailCommand, TAIL_LINE_NOT_UTF8, TAIL_LINE_TOO_LARGE } from '../src/commands/audit-tail.js';
import { runCommand } from './run-command.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-bytes-'));
const agent = createIdentity({ secretKey: new Uint8Array(32).fill(7) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(8) });
const NOT_UTF8 = 'line is not valid UTF-8';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);
/** The 1-based line of a byte offset. */
const lineAt = (bytes: Uint8Array, at: number) => bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
/** The bytes with the first EF BF BD replaced by FF: same text under a replacing decoder, not UTF-8. */
function flip(bytes: Buffer): { bytes: Buffer; line: number } {
  const at = bytes.indexOf(REPLACEMENT);
  expect(at).toBeGreaterThan(0);
  return {
    bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]),
    line: lineAt(bytes, at),
  };
}

const event = (i: number) => ({
  type: i === 2 ? ('call.requested' as const) : ('call.completed' as const),
  callId: `c${i}`,
  agent: agent.id,
  tool: i % 2 === 0 ? 'search' : 'send_email',
  data: { decision: { effect: 'allow', ruleId: 'r1' }, note: i === 2 ? 'odd \uFFFD byte' : `n${i}` },
});

let flipped: { bytes: Buffer; line: number };

beforeAll(async () => {
  const log = await openFileAuditLog(join(dir, 'good.jsonl'), {
    checkpoint: { signer: logKey, origin: 'test.example/bytes', everyRecords: 3, everyMs: 0 },
  });
  for (let i = 0; i < 6; i++) await log.append(event(i), agent);
  await log.close();
  flipped = flip(readFileSync(join(dir, 'good.jsonl')));
  writeFileSync(join(dir, 'flipped.jsonl'), flipped.bytes);
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ version: 1, id: 'p', rules: [] }));
});

describe('a log with EF BF BD replaced by FF', () => {
  it('decodes, with replacement, to the intact text (what the old CLI verified)', () => {
    const replaced = new TextDecoder().decode(flipped.bytes);
    expect(replaced).toBe(readFileSync(join(dir, 'good.jsonl'), 'utf8'));
    expect(verifyLog(replaced)).toMatchObject({ ok: true });
  });

  it('agentguard verify: FAIL at that line, exit 1, as verifyLogFile says', async () => {
    const path = join(dir, 'flipped.jsonl');
    const expected = await verifyLogFile(path, { workers: 0 });
    expect(expected).toMatchObject({ ok: false, line: flipped.line, code: 'ERR_AUDIT_RECORD_MALFORMED' });
    const r = await runCli(['verify', 'flipped.jsonl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL ${path}:${flipped.line}: ERR_AUDIT_RECORD_MALFORMED: ${NOT_UTF8}`);
  });

  it.each([
    [['audit', 'checkpoint', 'flipped.jsonl']],
    [['audit', 'proof', 'flipped.jsonl', '--index', '0']],
    [['audit', 'consistency', 'flipped.jsonl', '--from', '1', '--to', '3']],
    [['audit', 'query', 'flipped.jsonl']],
  ])('%j: fails at that line with the audit code, exit 1', async (argv) => {
    const r = await runCli(argv, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `ERR_AUDIT_RECORD_MALFORMED: ${join(dir, 'flipped.jsonl')}:${flipped.line}: ${NOT_UTF8}`,
    );
  });

  it.each([[['policy', 'replay', 'policy.json', 'flipped.jsonl']], [['policy', 'suggest', 'flipped.jsonl']]])(
    '%j: refuses the log at that line, exit 1',
    async (argv) => {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toContain(
        `${join(dir, 'flipped.jsonl')}:${flipped.line}: ERR_AUDIT_RECORD_MALFORMED: ${NOT_UTF8}`,
      );
    },
  );

  it('audit tail: flags that line by number with the audit reason, prints the rest, exit 1', async () => {
    const r = await runCli(['audit', 'tail', 'flipped.jsonl', '-n', '100'], { cwd: dir });
    expect(r.code).toBe(1);
    const rows = r.stdout.trim().split('\n');
    expect(rows[flipped.line - 1]).toBe(`!! line ${flipped.line}: ERR_AUDIT_RECORD_MALFORMED: ${TAIL_LINE_NOT_UTF8}`);
    expect(rows.filter((row) => row.startsWith('!!'))).toHaveLength(1);
    // The tail's words are the verifier's.
    const report = verifyLog(flipped.bytes);
    expect(report.ok === false && report.reason).toBe(TAIL_LINE_NOT_UTF8);
    expect((await runCli(['audit', 'tail', 'good.jsonl', '-n', '100'], { cwd: dir })).code).toBe(0);
  });

  it('audit tail --follow: flags a bad line appended later by number and keeps following', async () => {
    const good = readFileSync(join(dir, 'good.jsonl'));
    const path = join(dir, 'follow.jsonl');
    writeFileSync(path, good);
    const rows = flipped.bytes.toString('latin1').split('\n');
    const bad = Buffer.from(`${rows[flipped.line - 1]}\n`, 'latin1');
    const next = Buffer.from(`${rows[0]}\n`, 'latin1');
    const total = lineAt(good, good.length - 1);
    const controller = new AbortController();
    let appended = false;
    const r = await runCommand(auditTailCommand, ['follow.jsonl', '-n', '1', '--follow'], dir, {
      signal: controller.signal,
      onStdout: (all) => {
        if (!appended) {
          appended = true;
          // Split mid-character across two writes: the tail must join bytes, not decode each read.
          appendFileSync(path, bad.subarray(0, 5));
          setTimeout(() => appendFileSync(path, Buffer.concat([bad.subarray(5), next])), 300);
        }
        if (all.split('\n').length >= 4) controller.abort();
      },
    });
    expect(r.code).toBe(1);
    const shown = r.stdout.trim().split('\n');
    expect(shown[1]).toBe(`!! line ${total + 1}: ERR_AUDIT_RECORD_MALFORMED: ${TAIL_LINE_NOT_UTF8}`);
    expect(shown[2]).toContain('#0 ');
  });

  it('the intact log still passes every command', async () => {
    for (const argv of [
      ['verify', 'good.jsonl'],
      ['audit', 'checkpoint', 'good.jsonl'],
      ['audit', 'query', 'good.jsonl'],
      ['audit', 'tail', 'good.jsonl'],
    ]) {
      expect((await runCli(argv, { cwd: dir })).code, argv.join(' ')).toBe(0);
    }
  });
});

describe('a rotated log directory with the flip in its second file', () => {
  const logDir = join(dir, 'rotated');
  let second: string;
  let line: number;

  beforeAll(async () => {
    const rotated = await openAuditDirectory(logDir, { rotate: { maxBytes: 10 } });
    for (let i = 0; i < 4; i++) await rotated.append(event(i), agent);
    await rotated.close();
    second = join(logDir, 'audit-000003.jsonl');
    const bytes = readFileSync(second);
    const result = flip(bytes);
    line = result.line;
    writeFileSync(second, result.bytes);
  });

  it('verify names the file and line, exit 1', async () => {
    const r = await runCli(['verify', 'rotated'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL ${second}:${line}: ERR_AUDIT_RECORD_MALFORMED: ${NOT_UTF8}`);
  });

  it.each([[['audit', 'query', 'rotated']], [['policy', 'suggest', 'rotated']]])(
    '%j names the file and line, exit 1 (not a usage error)',
    async (argv) => {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toContain(`${second}:${line}:`);
      expect(`${r.stdout}${r.stderr}`).toContain(NOT_UTF8);
    },
  );
});

describe('a line larger than a record can be', () => {
  beforeAll(() => {
    const good = readFileSync(join(dir, 'good.jsonl'));
    const huge = Buffer.alloc(4 * 1024 * 1024 + 10, 0x61);
    huge[huge.length - 1] = 0x0a;
    writeFileSync(join(dir, 'huge.jsonl'), Buffer.concat([good, huge]));
  });

  it.each([[['verify', 'huge.jsonl']], [['audit', 'query', 'huge.jsonl']], [['policy', 'suggest', 'huge.jsonl']]])(
    '%j: a verdict at that line (exit 1), not a usage error',
    async (argv) => {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toContain(`${join(dir, 'huge.jsonl')}:9:`);
      expect(`${r.stdout}${r.stderr}`).toContain('larger than');
    },
  );

  it('audit tail flags it by number with the audit reason', async () => {
    const r = await runCli(['audit', 'tail', 'huge.jsonl', '-n', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`!! line 9: ERR_AUDIT_RECORD_MALFORMED: ${TAIL_LINE_TOO_LARGE}\n`);
    const report = verifyLog(readFileSync(join(dir, 'huge.jsonl')));
    expect(report.ok === false && report.reason).toBe(TAIL_LINE_TOO_LARGE);
  });
});

describe('files that cannot be read stay unusable input', () => {
  it.each([
    [['verify', 'missing.jsonl']],
    [['audit', 'query', 'missing.jsonl']],
    [['audit', 'tail', 'missing.jsonl']],
    [['policy', 'suggest', 'missing.jsonl']],
    [['verify', 'good.jsonl', '--checkpoint', 'missing.txt']],
  ])('%j: exit 2', async (argv) => {
    expect((await runCli(argv, { cwd: dir })).code).toBe(2);
  });

  it('a witness checkpoint that is not UTF-8 is a verdict on it (exit 1)', async () => {
    mkdirSync(join(dir, 'witness'), { recursive: true });
    const note = (await runCli(['audit', 'checkpoint', 'good.jsonl'], { cwd: dir })).stdout;
    writeFileSync(join(dir, 'witness', 'ok.txt'), note);
    expect((await runCli(['verify', 'good.jsonl', '--checkpoint', 'witness/ok.txt'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'witness', 'bad.txt'), Buffer.concat([Buffer.from(note), Buffer.from([0xff])]));
    const r = await runCli(['verify', 'good.jsonl', '--checkpoint', 'witness/bad.txt'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ERR_AUDIT_CHECKPOINT_INVALID: external checkpoint is not valid UTF-8');
  });
});
