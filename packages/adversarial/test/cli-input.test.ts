/**
 * Invariant: whatever the files, logs and streams given to the `agentguard` CLI, every reader parses JSON strictly
 * (one value per text), no verdict is given on an input with nothing in it, nothing from an input reaches the terminal
 * as a control sequence, and every failure is one line with exit 2 (unusable input) or 1 (a check failed), never a
 * stack trace, even when standard output is closed or full.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { fuzzParams } from './fuzz.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'packages/cli/src/bin.ts');
const dir = mkdtempSync(join(tmpdir(), 'ag-adv-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const agent = createIdentity({ secretKey: new Uint8Array(32).fill(31) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(32) });

const run = (argv: string[], isTTY = false) => runCli(argv, { cwd: dir, isTTY });

async function writeLog(name: string, reasons: readonly string[], options: { checkpoint?: boolean } = {}) {
  const sink = createMemorySink();
  const log = createAuditLog({
    sink,
    ...(options.checkpoint === true ? { checkpoint: { signer: logKey, origin: 'example.com/log' } } : {}),
  });
  for (const [i, reason] of reasons.entries()) {
    await log.append(
      { type: 'call.denied', callId: `c${i}`, agent: agent.id, tool: 'search', data: { code: reason, reason } },
      agent,
    );
  }
  await log.close();
  writeFileSync(join(dir, name), sink.text());
  return sink.text();
}

function spawnCli(args: string[], stdout: 'pipe' | number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions', '@agentguard/source', '--import', 'tsx', bin, ...args], {
      cwd: root,
      stdio: ['ignore', stdout, 'pipe'],
    });
    // A reader that went away before the first byte: every write gets EPIPE.
    child.stdout?.destroy();
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const STACK = /\n\s+at /;
// Anything a terminal interprets: C0/C1 controls (but the newline), DEL, bidi controls, line separators.
const UNSAFE = /(?!\n)[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|\p{Cs}/u;

describe('one strict JSON reader (class 3)', () => {
  const dup = '{"version":1,"rules":[{"id":"r","tools":["x"],"effect":"deny","effect":"allow"}]}';

  it('every policy command refuses a policy with a duplicate member name', async () => {
    writeFileSync(join(dir, 'dup.json'), dup);
    writeFileSync(
      join(dir, 'cases.json'),
      JSON.stringify({ version: 1, cases: [{ name: 'a', agent: 'a', tool: 'x', expect: 'deny' }] }),
    );
    await writeLog('one.jsonl', ['x']);
    for (const argv of [
      ['policy', 'check', 'dup.json'],
      ['policy', 'explain', 'dup.json', '--agent', 'a', '--tool', 'x'],
      ['policy', 'test', 'dup.json', 'cases.json'],
      ['policy', 'replay', 'dup.json', 'one.jsonl'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('ERR_STATEMENT_JSON_DUPLICATE_KEY');
    }
    const args = await run([
      'policy',
      'explain',
      'cases.json',
      '--agent',
      'a',
      '--tool',
      'x',
      '--args',
      '{"a":1,"a":2}',
    ]);
    expect(args.code).toBe(2);
  });

  it('fuzz: a duplicated member anywhere in a policy is refused by every policy command', async () => {
    const policy = {
      version: 1,
      id: 'p',
      rules: [{ id: 'r', effect: 'allow', tools: ['x'], when: { '/a': { max: 3 } } }],
    };
    const text = JSON.stringify(policy);
    const members = [...text.matchAll(/"([a-z/]+)":/g)].map((m) => m.index ?? 0);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...members), fc.constantFrom('check', 'explain'), async (at, command) => {
        // Repeat the member that starts at `at` with a different value: `"k":<junk>,"k":<value>`.
        const key = (/^"[^"]+":/.exec(text.slice(at)) as RegExpExecArray)[0];
        writeFileSync(join(dir, 'fuzz.json'), `${text.slice(0, at)}${key}"deny",${text.slice(at)}`);
        const argv =
          command === 'check'
            ? ['policy', 'check', 'fuzz.json']
            : ['policy', 'explain', 'fuzz.json', '--agent', 'a', '--tool', 'x'];
        const r = await run(argv);
        expect(r.code).not.toBe(0);
        expect(r.stdout + r.stderr).toContain('ERR_STATEMENT_JSON_DUPLICATE_KEY');
      }),
      fuzzParams(40),
    );
  });
});

describe('no verdict on nothing (class 4)', () => {
  it('verify exits 2 on an empty file, /dev/null, a directory that is not a log and a checkpoint-only log', async () => {
    writeFileSync(join(dir, 'empty.jsonl'), '');
    mkdirSync(join(dir, 'not-a-log'), { recursive: true });
    await writeLog('cp-only.jsonl', [], { checkpoint: true });
    for (const target of ['empty.jsonl', '/dev/null', '/dev/zero', 'not-a-log', 'cp-only.jsonl']) {
      const r = await run(['verify', target, '--trust', agent.id, '--trust', logKey.id]);
      expect(r.code, target).toBe(2);
      expect(r.stdout).not.toContain('OK');
      // A device is no log at all (it could be read forever); a file with no events proves nothing.
      const device = target.startsWith('/dev/');
      expect(r.stderr).toContain(device ? 'ERR_AUDIT_NOT_A_LOG' : 'no events');
      // A directory with no rotated files says which names it reads.
      if (target === 'not-a-log') expect(r.stderr).toContain('audit-NNNNNN.jsonl');
      expect((await run(['verify', target, '--allow-empty'])).code, target).toBe(device ? 2 : 0);
    }
  });

  it('policy replay exits 2 on a log with no call to replay', async () => {
    writeFileSync(
      join(dir, 'allow.json'),
      JSON.stringify({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['x'] }] }),
    );
    expect((await run(['policy', 'replay', 'allow.json', 'empty.jsonl'])).code).toBe(2);
    expect((await run(['policy', 'replay', 'allow.json', 'empty.jsonl', '--allow-empty'])).code).toBe(0);
  });

  it('fuzz: verify never says OK about a log without events', async () => {
    await writeLog('cp.jsonl', [], { checkpoint: true });
    const checkpointLine = readFileSync(join(dir, 'cp.jsonl'), 'utf8');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('', '\n', checkpointLine, ' ', '\r\n'), async (content) => {
        writeFileSync(join(dir, 'nothing.jsonl'), content);
        const r = await run(['verify', 'nothing.jsonl', '--trust', logKey.id]);
        expect(r.code).not.toBe(0);
      }),
      fuzzParams(20),
    );
  });
});

describe('terminal escapes from inputs (class 5)', () => {
  const nasty = [
    '\u001b[2K\r\u001b[32mOK log verifies\u001b[0m',
    'a\nOK forged line',
    '\u202eevil\u2066',
    '\u0007\u009b31m',
  ];

  it('no command prints an escape from a log, in any format', async () => {
    const text = await writeLog('nasty.jsonl', nasty);
    // Lines that are not records (a lone surrogate cannot be written by the log) reach tail and verify raw.
    writeFileSync(join(dir, 'nasty-bad.jsonl'), `${text}{"x":"\ud800\u001b[1A${nasty.join('')}"}\n`);
    for (const argv of [
      ['audit', 'tail', 'nasty-bad.jsonl'],
      ['verify', 'nasty-bad.jsonl'],
    ]) {
      const r = await run(argv);
      expect(UNSAFE.test(r.stdout + r.stderr), argv.join(' ')).toBe(false);
      expect(r.stdout, argv.join(' ')).not.toMatch(/^OK/m);
    }
    for (const argv of [
      ['audit', 'tail', 'nasty.jsonl'],
      ['audit', 'query', 'nasty.jsonl'],
      ['audit', 'query', 'nasty.jsonl', '--format', 'csv'],
      ['audit', 'query', 'nasty.jsonl', '--format', 'json'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(UNSAFE.test(r.stdout + r.stderr), argv.join(' ')).toBe(false);
      expect(r.stdout, argv.join(' ')).not.toMatch(/^OK forged/m);
    }
    // The CLI's own colours on a terminal are the only escapes, whole lines wrapped in one SGR each.
    const tty = await run(['audit', 'tail', 'nasty.jsonl'], true);
    const esc = String.fromCharCode(27);
    const lines = tty.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.some((l) => l.startsWith(`${esc}[`))).toBe(true);
    for (const line of lines) {
      const inner = line.startsWith(esc) ? line.replace(/^.\[[0-9]{1,3}m/, '').slice(0, -`${esc}[0m`.length) : line;
      expect(UNSAFE.test(inner), line).toBe(false);
    }
  });

  it('CSV cells that a spreadsheet would run as formulas are neutralised', async () => {
    await writeLog('formula.jsonl', ['=HYPERLINK("http://x")', '+1', '@SUM(A1)', '-2', '\uff1dcmd']);
    const r = await run(['audit', 'query', 'formula.jsonl', '--format', 'csv']);
    for (const line of r.stdout.split('\n').slice(1, -1)) {
      for (const cell of line.split(',')) expect(cell).not.toMatch(/^"?[=+@\uff1d]/);
    }
  });

  it('fuzz: for any log content, no output line carries a control character', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        async (reasons) => {
          const text = await writeLog('fuzz.jsonl', reasons);
          // A broken line holding the same bytes, so verify's FAIL line quotes it.
          writeFileSync(join(dir, 'fuzz-bad.jsonl'), `${text}{"seq":"${reasons.join('')}"}\n`);
          for (const argv of [
            ['audit', 'tail', 'fuzz.jsonl'],
            ['audit', 'query', 'fuzz.jsonl', '--format', 'csv'],
            ['audit', 'query', 'fuzz.jsonl', '--format', 'json'],
            ['verify', 'fuzz-bad.jsonl'],
          ]) {
            const r = await run(argv);
            expect(UNSAFE.test(r.stdout + r.stderr), argv.join(' ')).toBe(false);
          }
        },
      ),
      fuzzParams(40),
    );
  });
});

describe('failures are one line with the right exit code (class 6)', () => {
  it('a closed stdout (| head -1) is quiet and keeps the verdict; a full one (> /dev/full) is one line, exit 2', async () => {
    await writeLog('intact.jsonl', ['a', 'b']);
    const full = openSync('/dev/full', 'w');
    try {
      const args = ['verify', join(dir, 'intact.jsonl'), '--trust', agent.id];
      const [closed, filled] = await Promise.all([spawnCli(args, 'pipe'), spawnCli(args, full)]);
      expect(closed.stderr).toBe('');
      expect(closed.code).toBe(0);
      expect(filled.code).toBe(2);
      expect(filled.stderr.trim().split('\n')).toHaveLength(1);
      expect(filled.stderr).toContain('ENOSPC');
    } finally {
      closeSync(full);
    }
  });

  it('credential issue and revoke with a missing key file exit 2 with a message', async () => {
    const subject = agent.id;
    for (const argv of [
      [
        'credential',
        'issue',
        '--key',
        'missing.jwk',
        '--subject',
        subject,
        '--name',
        'n',
        '--owner',
        'o',
        '--env',
        'e',
        '--tier',
        'low',
        '--tool',
        'x',
      ],
      ['revoke', '--key', 'missing.jwk', '--seq', '1'],
      ['signer', 'serve', '--key', 'missing.jwk', '--stdio', '--allow-any'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr).toMatch(/missing\.jwk.*ENOENT/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('fuzz: any command on any unusable path fails in one line, exit 1 or 2, without a stack trace', async () => {
    writeFileSync(join(dir, 'garbage'), '\u0000\u00ff{"a":1,"a":2}');
    const paths = ['missing', 'not-a-log', '/dev/null', 'garbage', 'dup.json', 'empty.jsonl'];
    // [argv, gives a verdict]: a verdict is never "OK" on an unusable input.
    const commands: [(p: string) => string[], boolean][] = [
      [(p) => ['verify', p], true],
      [(p) => ['verify', 'intact.jsonl', '--checkpoint', p], true],
      [(p) => ['audit', 'checkpoint', p], true],
      [(p) => ['audit', 'proof', p, '--index', '0'], true],
      [(p) => ['audit', 'consistency', p, '--from', '1'], true],
      [(p) => ['audit', 'query', p], false],
      [(p) => ['report', '--regime', 'pci-dss-4', p], true],
      [(p) => ['policy', 'check', p], true],
      [(p) => ['policy', 'test', p, p], true],
      [(p) => ['policy', 'replay', 'allow.json', p], true],
      [(p) => ['policy', 'suggest', p], true],
      [(p) => ['credential', 'verify', p, '--trust', agent.id], true],
      [(p) => ['credential', 'verify', 'missing', '--trust', agent.id, '--revocation', p], true],
      [(p) => ['revoke', '--key', p, '--seq', '1'], true],
      [(p) => ['signer', 'serve', '--key', 'missing', '--stdio', '--policy', p], true],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...commands), fc.constantFrom(...paths), async ([command, verdict], path) => {
        const r = await run(command(path));
        expect(verdict ? [1, 2] : [0, 1, 2], `${command(path).join(' ')}: ${r.code} ${r.stdout}`).toContain(r.code);
        expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(r.code === 2 ? 40 : 1);
        expect(r.stderr).not.toMatch(STACK);
      }),
      fuzzParams(60),
    );
  });
});
