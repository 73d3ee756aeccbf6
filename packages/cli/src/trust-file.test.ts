import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../test/run-command.js';
import { verifyCommand } from './commands/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-trust-file-'));
const agent = createIdentity({ secretKey: new Uint8Array(32).fill(5) });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(6) });
const approver = createIdentity({ secretKey: new Uint8Array(32).fill(7) });
const operator = createIdentity({ secretKey: new Uint8Array(32).fill(8) });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  // Records signed by the agent, checkpoints by a separate log key: anchoring needs both.
  const sink = createMemorySink();
  const log = createAuditLog({ sink, checkpoint: { signer: logKey, everyRecords: 2, everyMs: 0 } });
  for (let i = 0; i < 3; i++) {
    await log.append({ type: 'call.completed', callId: `c${i}`, agent: agent.id, tool: 'add', data: { i } }, agent);
  }
  await log.close();
  writeFileSync(join(dir, 'log.jsonl'), sink.text());
  // The same kind of log with a record an operator added (as \`agentguard erase\` does), signed by its own key.
  const opSink = createMemorySink();
  const opLog = createAuditLog({ sink: opSink, checkpoint: { signer: logKey, everyRecords: 2, everyMs: 0 } });
  await opLog.append({ type: 'call.completed', callId: 'c0', agent: agent.id, tool: 'add', data: { i: 0 } }, agent);
  await opLog.append({ type: 'call.completed', callId: 'op', agent: operator.id, tool: 'add', data: {} }, operator);
  await opLog.close();
  writeFileSync(join(dir, 'operator-log.jsonl'), opSink.text());
});
const trustFile = (name: string, value: unknown) =>
  writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));

describe('agentguard verify --trust-file', () => {
  it('anchors a log with an agent key and a separate log key from one trust file', async () => {
    trustFile('trust.json', {
      version: 1,
      keys: [
        { id: agent.id, role: 'agent', name: 'billing-agent' },
        { id: logKey.id, role: 'log', name: 'audit log' },
      ],
    });
    const r = await runCommand(verifyCommand, ['log.jsonl', '--trust-file', 'trust.json'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('anchored: every record is signed by a trusted key.');
  });

  it('merges with --trust, and fails (exit 1) when a signer is missing from both', async () => {
    trustFile('agent-only.json', { version: 1, keys: [{ id: agent.id, role: 'agent' }] });
    const missing = await runCommand(verifyCommand, ['log.jsonl', '--trust-file', 'agent-only.json'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('ERR_AUDIT_UNTRUSTED_SIGNER');
    const merged = await runCommand(
      verifyCommand,
      ['log.jsonl', '--trust-file', 'agent-only.json', '--trust', logKey.id],
      dir,
    );
    expect(merged.code).toBe(0);
  });

  it('trusts operator keys as record signers, not as log keys', async () => {
    const keys = [
      { id: agent.id, role: 'agent' },
      { id: logKey.id, role: 'log' },
    ];
    trustFile('no-operator.json', { version: 1, keys });
    trustFile('with-operator.json', { version: 1, keys: [...keys, { id: operator.id, role: 'operator' }] });
    const without = await runCommand(verifyCommand, ['operator-log.jsonl', '--trust-file', 'no-operator.json'], dir);
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('ERR_AUDIT_UNTRUSTED_SIGNER');
    const withOp = await runCommand(verifyCommand, ['operator-log.jsonl', '--trust-file', 'with-operator.json'], dir);
    expect(withOp.code).toBe(0);
    // An operator key is not a log key: a log whose checkpoints it signed is not anchored by it.
    trustFile('operator-as-log.json', {
      version: 1,
      keys: [
        { id: agent.id, role: 'agent' },
        { id: logKey.id, role: 'operator' },
      ],
    });
    const asLog = await runCommand(verifyCommand, ['log.jsonl', '--trust-file', 'operator-as-log.json'], dir);
    expect(asLog.stdout).not.toContain(`log keys: every checkpoint is signed by one of ${logKey.id}`);
  });

  it('never takes an operator key for a log key, even when the trust file names no log key', async () => {
    // A log whose checkpoints the operator key signed: an operator who rewrote the tail could anchor it so.
    const sink = createMemorySink();
    const log = createAuditLog({ sink, checkpoint: { signer: operator, everyRecords: 1, everyMs: 0 } });
    await log.append({ type: 'call.completed', callId: 'c0', agent: agent.id, tool: 'add', data: {} }, agent);
    await log.close();
    writeFileSync(join(dir, 'operator-checkpoints.jsonl'), sink.text());
    trustFile('agent-operator.json', {
      version: 1,
      keys: [
        { id: agent.id, role: 'agent' },
        { id: operator.id, role: 'operator' },
      ],
    });
    const r = await runCommand(
      verifyCommand,
      ['operator-checkpoints.jsonl', '--trust-file', 'agent-operator.json'],
      dir,
    );
    expect(r.code).toBe(1);
    trustFile('operator-only.json', { version: 1, keys: [{ id: operator.id, role: 'operator' }] });
    expect(
      (await runCommand(verifyCommand, ['operator-checkpoints.jsonl', '--trust-file', 'operator-only.json'], dir)).code,
    ).toBe(2);
  });

  it('does not trust approver keys as log signers', async () => {
    trustFile('approver.json', {
      version: 1,
      keys: [
        { id: agent.id, role: 'agent' },
        { id: logKey.id, role: 'approver' },
        { id: approver.id, role: 'approver' },
      ],
    });
    expect((await runCommand(verifyCommand, ['log.jsonl', '--trust-file', 'approver.json'], dir)).code).toBe(1);
  });

  it.each([
    ['a missing file', 'nope.json', undefined],
    ['not JSON', 'junk.json', '{"version":1,'],
    ['an unknown member', 'extra.json', { version: 1, keys: [], extra: 1 }],
    ['a bad key', 'badkey.json', { version: 1, keys: [{ id: 'did:key:alice', role: 'agent' }] }],
    ['only approvers', 'approvers.json', { version: 1, keys: [{ id: approver.id, role: 'approver' }] }],
    ['invalid UTF-8', 'latin1.json', '\u00ff'],
  ])('exits 2 on %s', async (_label, name, content) => {
    if (name === 'latin1.json') writeFileSync(join(dir, name), Buffer.from([0x7b, 0xff, 0x7d]));
    else if (content !== undefined) trustFile(name, content);
    const r = await runCommand(verifyCommand, ['log.jsonl', '--trust-file', name], dir);
    expect(r.code).toBe(2);
  });
});
