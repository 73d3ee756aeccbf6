import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyConsistency, verifyInclusion } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import { fromHex } from '@agentguard/statement';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCheckpointCommand } from './audit-checkpoint.js';
import { auditConsistencyCommand } from './audit-consistency.js';
import { auditProofCommand } from './audit-proof.js';
import { auditQueryCommand } from './audit-query.js';
import { auditTailCommand } from './audit-tail.js';
import { runCommand } from '../../test/run-command.js';
import { verifyCommand } from './verify.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-audit-'));
const agent = createIdentity({ secretKey: new Uint8Array(32).fill(5) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(6) });
const trust = ['--trust', agent.id, '--trust', logKey.id];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  let t = Date.parse('2026-03-01T10:00:00.000Z');
  const log = await openFileAuditLog(join(dir, 'log.jsonl'), {
    clock: () => {
      t += 60_000;
      return t;
    },
    checkpoint: { signer: logKey, origin: 'test.example/audit', everyRecords: 4, everyMs: 0 },
  });
  for (let i = 0; i < 10; i++) {
    const denied = i % 3 === 0;
    await log.append(
      {
        type: denied ? 'call.denied' : 'call.completed',
        callId: `c${i}`,
        agent: agent.id,
        tool: i % 2 === 0 ? 'search' : 'send_email',
        data: denied
          ? {
              code: 'ERR_GUARD_POLICY_DENIED',
              reason: i === 3 ? '=HYPERLINK("x")' : 'no rule',
              decision: { effect: 'deny' },
            }
          : { decision: { effect: 'allow', ruleId: 'r1' } },
      },
      agent,
    );
  }
  await log.close();
});

describe('agentguard audit proof / consistency', () => {
  it('prints an inclusion proof against the covering checkpoint that verifies offline', async () => {
    const r = await runCommand(auditProofCommand, ['log.jsonl', '--index', '3'], dir);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p).toMatchObject({ index: 3, size: 4 });
    expect(p.checkpoint).toContain('test.example/audit\n4\n');
    expect(verifyInclusion(p.index, p.size, fromHex(p.leaf), p.proof.map(fromHex), fromHex(p.root))).toBe(true);
  });

  it('prints a consistency proof that verifies offline', async () => {
    const r = await runCommand(auditConsistencyCommand, ['log.jsonl', '--from', '4', '--to', '9'], dir);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.checkpoint1).toContain('\n4\n');
    expect(p.checkpoint2).toContain('\n9\n');
    expect(verifyConsistency(4, 9, p.proof.map(fromHex), fromHex(p.root1), fromHex(p.root2))).toBe(true);
  });

  it.each([
    [auditProofCommand, ['log.jsonl']],
    [auditProofCommand, ['log.jsonl', '--index', '99']],
    [auditProofCommand, ['log.jsonl', '--index', '-1']],
    [auditConsistencyCommand, ['log.jsonl', '--from', '0']],
    [auditConsistencyCommand, ['log.jsonl', '--from', '5', '--to', '4']],
  ])('exits 2 on bad sizes (%#)', async (command, argv) => {
    expect((await runCommand(command, argv, dir)).code).toBe(2);
  });
});

describe('agentguard audit checkpoint + verify --checkpoint', () => {
  it('prints the latest checkpoint, which the log extends', async () => {
    const r = await runCommand(auditCheckpointCommand, ['log.jsonl'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^test\.example\/audit\n12\n.+\ntime .+\n\n\u2014 test\.example\/audit \S+\n$/);
    writeFileSync(join(dir, 'witness.txt'), r.stdout);
    const v = await runCommand(verifyCommand, ['log.jsonl', ...trust, '--checkpoint', 'witness.txt'], dir);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('extends the external checkpoint of size 12');
    expect(v.stdout).toContain('3 checkpoint(s) verified, sealed');
  });

  it('catches a truncation that removed the later checkpoints', async () => {
    const witness = (await runCommand(auditCheckpointCommand, ['log.jsonl'], dir)).stdout;
    writeFileSync(join(dir, 'witness2.txt'), witness);
    const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n');
    writeFileSync(join(dir, 'cut.jsonl'), `${lines.slice(0, 7).join('\n')}\n`);
    expect((await runCommand(verifyCommand, ['cut.jsonl', ...trust], dir)).code).toBe(0);
    const v = await runCommand(verifyCommand, ['cut.jsonl', ...trust, '--checkpoint', 'witness2.txt'], dir);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/cut\.jsonl:8: ERR_AUDIT_TRUNCATED: truncated/);
  });

  it('exits 1 for a log without checkpoints and 1 for a damaged log', async () => {
    const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n');
    writeFileSync(join(dir, 'few.jsonl'), `${lines.slice(0, 3).join('\n')}\n`);
    expect((await runCommand(auditCheckpointCommand, ['few.jsonl'], dir)).code).toBe(1);
    writeFileSync(join(dir, 'bad.jsonl'), `${lines[1]}\n`);
    const r = await runCommand(auditCheckpointCommand, ['bad.jsonl'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_AUDIT_CHAIN_BROKEN');
  });
});

describe('agentguard audit query', () => {
  it('filters by tool, decision and time', async () => {
    const r = await runCommand(
      auditQueryCommand,
      ['log.jsonl', '--tool', 'search', '--decision', 'deny', '--format', 'json'],
      dir,
    );
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.callId)).toEqual(['c0', 'c6']);
    const timed = await runCommand(
      auditQueryCommand,
      ['log.jsonl', '--since', '2026-03-01T10:03:00Z', '--until', '2026-03-01T10:05:00Z', '--format', 'json'],
      dir,
    );
    expect(timed.stdout.trim().split('\n')).toHaveLength(2);
    const byAgent = await runCommand(auditQueryCommand, ['log.jsonl', '--agent', logKey.id], dir);
    expect(byAgent.stdout).toBe('');
  });

  it('exports CSV with a header, quoting, and spreadsheet formulas defused', async () => {
    const r = await runCommand(auditQueryCommand, ['log.jsonl', '--type', 'call.denied', '--format', 'csv'], dir);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toBe('seq,ts,type,agent,tool,callId,decision,code,reason,signer,hash');
    expect(rows).toHaveLength(5);
    expect(r.stdout).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('prints a table by default', async () => {
    const r = await runCommand(auditQueryCommand, ['log.jsonl', '--type', 'checkpoint'], dir);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stderr).toContain('3 of 13');
  });

  it.each([[['log.jsonl', '--format', 'xml']], [['log.jsonl', '--since', 'yesterday']], [[]]])(
    'exits 2 on usage errors (%#)',
    async (argv) => {
      expect((await runCommand(auditQueryCommand, argv, dir)).code).toBe(2);
    },
  );
});

describe('agentguard audit tail', () => {
  it('prints the last n records', async () => {
    const r = await runCommand(auditTailCommand, ['log.jsonl', '-n', '2'], dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('#12 checkpoint');
  });

  it('follows new records until interrupted, and flags lines that are not records', async () => {
    const path = join(dir, 'follow.jsonl');
    writeFileSync(path, readFileSync(join(dir, 'log.jsonl'), 'utf8'));
    const controller = new AbortController();
    let appended = false;
    const running = runCommand(auditTailCommand, ['follow.jsonl', '-n', '1', '--follow'], dir, {
      signal: controller.signal,
      onStdout: (all) => {
        if (!appended && all.includes('#12')) {
          appended = true;
          appendFileSync(path, 'garbage\n');
        }
        if (all.includes('not a record: garbage')) controller.abort();
      },
    });
    const r = await running;
    // A flagged line is named by its number, and makes the exit code 1 (it was 0: nothing said so).
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('!! line 14: not a record: garbage');
  });

  it('exits 2 for a missing file', async () => {
    expect((await runCommand(auditTailCommand, ['nope.jsonl'], dir)).code).toBe(2);
  });
});
