/**
 * Invariant: when the verifier names the log's keys (`checkpointKeys`, `agentguard verify --log-key` or a trust file's
 * `log` role), only those keys anchor the log: a key that may sign records (an agent's, or any key a compromised agent
 * can get a signature from) cannot rewrite the log and checkpoint the rewrite, nor sign an external checkpoint.
 */
import { verifyLog } from '@agentguard/audit';
import { verifyLogFile } from '@agentguard/audit/file';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { AGENT, Forger, LOG } from './audit-forge.js';
import { fuzzParams } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-log-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trust = [AGENT.id, LOG.id];
const ORIGIN = `agentguard-audit/${LOG.id}`;

/** The log as written: agent-signed events, log-key checkpoints. */
function honest(events: number, every: number): Forger {
  const f = new Forger();
  for (let i = 0; i < events; i++) {
    f.event({ callId: `c-${i}`, tool: i === 1 ? 'delete_db' : 'search' }, AGENT);
    if ((i + 1) % every === 0) f.checkpoint(LOG, ORIGIN);
  }
  return f.checkpoint(LOG, ORIGIN);
}

/** The attacker's rewrite: the events minus `drop`, re-chained and re-checkpointed with the agent key, same origin. */
function rewritten(events: number, every: number, drop: number): Forger {
  const f = new Forger();
  for (let i = 0; i < events; i++) {
    if (i === drop) continue;
    f.event({ callId: `c-${i}`, tool: i === 1 ? 'delete_db' : 'search' }, AGENT);
    if ((i + 1) % every === 0) f.checkpoint(AGENT, ORIGIN);
  }
  return f.checkpoint(AGENT, ORIGIN);
}

describe('an agent key rewrites the log and checkpoints the rewrite', () => {
  it('verifies when the verifier does not say which keys are the log keys (the documented limit)', () => {
    expect(verifyLog(rewritten(4, 2, 1).text(), { trust })).toMatchObject({ ok: true, anchored: true });
  });

  it('fails at the first forged checkpoint once the log key is named, in every verifier', async () => {
    const forged = rewritten(4, 2, 1).text();
    // c-0, c-2, c-3, then the first checkpoint (line 4), signed by the agent key.
    const expected = { ok: false, code: 'ERR_AUDIT_CHECKPOINT_INVALID', line: 4 };
    expect(verifyLog(forged, { trust, checkpointKeys: [LOG.id] })).toMatchObject(expected);
    const path = join(dir, 'forged.jsonl');
    writeFileSync(path, forged);
    expect(await verifyLogFile(path, { trust, checkpointKeys: [LOG.id], workers: 0 })).toMatchObject(expected);
    expect(verifyLog(honest(4, 2).text(), { trust, checkpointKeys: [LOG.id] })).toMatchObject({ ok: true });
  });

  it('an external checkpoint signed by the agent key does not count', () => {
    const log = honest(4, 2);
    const witness = rewritten(6, 2, -1);
    const note = JSON.parse(witness.lines.at(-1) as string) as { note: string; noteSig: string };
    const external = `${note.note}\n— ${ORIGIN} ${note.noteSig}\n`;
    expect(verifyLog(log.text(), { trust, checkpointKeys: [LOG.id], checkpoint: external })).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
      line: 0,
    });
  });

  it('refuses log keys that are not trusted (misuse)', () => {
    expect(() => verifyLog('', { trust: [AGENT.id], checkpointKeys: [LOG.id] })).toThrow(TypeError);
    expect(() => verifyLog('', { trust, checkpointKeys: ['did:key:nope'] })).toThrow(TypeError);
  });

  it('fuzz: any rewrite whose checkpoints are not by the log key fails when the log key is named', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: -1, max: 7 }),
        (n, every, drop) => {
          const report = verifyLog(rewritten(n, every, drop).text(), { trust, checkpointKeys: [LOG.id] });
          expect(report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT_INVALID' });
        },
      ),
      fuzzParams(50),
    );
  });

  it('agentguard verify: --log-key and a trust file with a "log" key refuse the rewrite (exit 1); without them it is flagged', async () => {
    const run = (argv: string[]) => runCli(argv, { cwd: dir });
    writeFileSync(join(dir, 'rewrite.jsonl'), rewritten(4, 2, 1).text());
    writeFileSync(join(dir, 'honest.jsonl'), honest(4, 2).text());
    writeFileSync(
      join(dir, 'trust.json'),
      JSON.stringify({
        version: 1,
        keys: [
          { id: AGENT.id, role: 'agent' },
          { id: LOG.id, role: 'log' },
        ],
      }),
    );
    const loose = await run(['verify', 'rewrite.jsonl', '--trust', AGENT.id, '--trust', LOG.id]);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain('log keys not given');
    const pinned = await run(['verify', 'rewrite.jsonl', '--trust', AGENT.id, '--log-key', LOG.id]);
    expect(pinned).toMatchObject({ code: 1, stdout: expect.stringContaining('ERR_AUDIT_CHECKPOINT_INVALID') });
    expect((await run(['verify', 'rewrite.jsonl', '--trust-file', 'trust.json'])).code).toBe(1);
    expect((await run(['verify', 'honest.jsonl', '--trust-file', 'trust.json'])).code).toBe(0);
    expect((await run(['verify', '/dev/zero', '--trust-file', 'trust.json'])).code).toBe(2);
  });
});
