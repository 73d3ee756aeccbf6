/**
 * The out-of-process signer from a guarded tool: the agent's key lives in an
 * `agentguard signer serve` child process with its own policy. A compromised
 * agent process (here: one whose own policy allows everything) can neither read
 * the key nor get a signature for a call the signer's policy denies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { connectSigner, type RemoteSigner, saveKeyFile } from '@agentguard/identity/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentguard-signer-'));
const agent = createIdentity({ name: 'agent' });
let signer: RemoteSigner;

beforeAll(async () => {
  const keyPath = join(dir, 'agent.jwk');
  await saveKeyFile(keyPath, agent);
  const policyPath = join(dir, 'signer-policy.json');
  writeFileSync(
    policyPath,
    JSON.stringify({
      version: 1,
      rules: [{ id: 'sums-only', effect: 'allow', tools: ['add'], when: { '/a': { max: 100 } } }],
    }),
  );
  signer = await connectSigner(
    {
      command: process.execPath,
      args: [
        '--conditions',
        '@agentguard/source',
        '--import',
        'tsx',
        bin,
        'signer',
        'serve',
        '--stdio',
        '--key',
        keyPath,
        '--policy',
        policyPath,
        '--quiet',
      ],
    },
    { expect: agent.id, timeoutMs: 20_000 },
  );
}, 60_000);

afterAll(async () => {
  await signer?.close();
});

describe('guard() with the key in a signer process', () => {
  const sink = createMemorySink();
  const everything = { version: 1, rules: [{ id: 'anything', effect: 'allow', tools: ['add', 'drop_tables'] }] };

  it('signs and audits an allowed call; the log verifies under the agent key', async () => {
    const ag = createGuard({
      identity: signer,
      policy: everything,
      audit: createAuditLog({ sink }),
      unsafeSkipSelfTest: true,
    } as never);
    const add = ag.guard({
      name: 'add',
      schema: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => a + b,
    });
    await expect(add({ a: 2, b: 3 })).resolves.toBe(5);
    expect(verifyLog(sink.text(), { trust: [agent.id] }).ok).toBe(true);
  });

  it('gets no signature for a call the signer policy denies, so the tool never runs', async () => {
    const ag = createGuard({
      identity: signer,
      policy: everything,
      audit: createAuditLog({ sink: createMemorySink() }),
    } as never);
    const drop = vi.fn(() => 'dropped');
    const dropTables = ag.guard({ name: 'drop_tables', schema: z.object({}), execute: drop });
    await expect(dropTables({})).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
    const add = ag.guard({ name: 'add', schema: z.object({ a: z.number(), b: z.number() }), execute: drop });
    // Allowed tool, but arguments outside what the signer's policy allows.
    await expect(add({ a: 1000, b: 1 })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
    expect(drop).not.toHaveBeenCalled();
  });

  it('never hands out the secret key', () => {
    expect(JSON.stringify(signer)).not.toContain(agent.exportPrivateJwk().d);
    expect(Object.keys(signer)).not.toContain('secretKey');
  });
});
