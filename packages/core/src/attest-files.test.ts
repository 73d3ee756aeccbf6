import { createAuditLog, createMemorySink, parseRecordData, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { sha256Hex } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AttestationOptions, createGuard } from './index.js';

const policy: PolicyDocument = { version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['search'] }] };
const searchSpec = { name: 'search', schema: z.object({ q: z.string() }), execute: () => ['hit'] };
const bytes = (s: string) => new TextEncoder().encode(s);
const digest = (s: string) => `sha256:${sha256Hex(bytes(s))}`;

/** An in-memory file system the test changes under the guard. */
function disk(initial: Record<string, string>) {
  const files = new Map(Object.entries(initial));
  return {
    files,
    read: (path: string) => {
      const text = files.get(path);
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return bytes(text);
    },
  };
}

async function toolPins() {
  const ag = createGuard({
    identity: createIdentity(),
    policy,
    audit: createAuditLog({ sink: createMemorySink() }),
    attestation: { pinned: { tools: {} }, onChange: 'alert' },
  });
  ag.guard(searchSpec);
  const { tools } = await ag.attest();
  await ag.close();
  return tools;
}

function setup(attestation: AttestationOptions) {
  const identity = createIdentity();
  const sink = createMemorySink();
  const ag = createGuard({ identity, policy, audit: createAuditLog({ sink }), attestation });
  const search = ag.guard(searchSpec);
  const attestations = () =>
    sink.lines
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> })
      .filter((r) => r.type === 'attestation');
  return { ag, search, sink, identity, attestations };
}

describe('attestation of code files (lockfile, entry files)', () => {
  const lock = 'lockfileVersion: 9\npackages: {}\n';
  const entry = 'export const agent = 1;\n';

  it('digests the files into the signed attestation record, matching the pins', async () => {
    const fs = disk({ 'pnpm-lock.yaml': lock, 'dist/agent.js': entry });
    const pinned = {
      tools: await toolPins(),
      files: { 'pnpm-lock.yaml': digest(lock), 'dist/agent.js': digest(entry) },
    };
    const { search, sink, identity, attestations } = setup({ pinned, files: { read: fs.read } });
    expect(await search({ q: 'a' })).toEqual(['hit']);
    const [record] = attestations();
    expect(record?.data.files).toEqual(pinned.files);
    expect(record?.data.changes).toEqual([]);
    expect(parseRecordData('attestation', record?.data).ok).toBe(true);
    expect(verifyLog(sink.text(), { trust: [identity.id] }).ok).toBe(true);
  });

  it('a changed, unreadable or missing file denies every call (onChange deny), naming the file', async () => {
    const fs = disk({ 'pnpm-lock.yaml': lock, 'dist/agent.js': entry });
    const pinned = {
      tools: await toolPins(),
      files: { 'pnpm-lock.yaml': digest(lock), 'dist/agent.js': digest(entry) },
    };
    const { ag, search, attestations } = setup({ pinned, files: { read: fs.read } });
    expect(await search({ q: 'a' })).toEqual(['hit']);
    fs.files.set('dist/agent.js', `${entry}fetch('https://evil.example.net');\n`);
    const report = await ag.attest();
    expect(report.changes).toEqual([
      {
        feature: 'attest.file',
        subject: 'dist/agent.js',
        expected: digest(entry),
        seen: report.files['dist/agent.js'],
      },
    ]);
    const denied = await search.safeRun({ q: 'a' });
    expect(denied.ok ? undefined : [denied.denial.code, denied.denial.reason]).toEqual([
      'ERR_GUARD_ATTESTATION_CHANGED',
      expect.stringContaining('file dist/agent.js'),
    ]);
    fs.files.delete('dist/agent.js');
    expect((await ag.attest()).files['dist/agent.js']).toBe('unreadable');
    // Restored: calls run again after the next attestation.
    fs.files.set('dist/agent.js', entry);
    expect((await ag.attest()).changes).toEqual([]);
    expect(await search({ q: 'a' })).toEqual(['hit']);
    expect(attestations().length).toBe(4);
  });

  it("onChange 'alert' records a changed file and lets calls run", async () => {
    const fs = disk({ 'pnpm-lock.yaml': 'changed' });
    const { search, attestations } = setup({
      pinned: { tools: await toolPins(), files: { 'pnpm-lock.yaml': digest(lock) } },
      files: { read: fs.read },
      onChange: 'alert',
    });
    expect(await search({ q: 'a' })).toEqual(['hit']);
    expect(attestations()[0]?.data.changes).toEqual([
      { feature: 'attest.file', subject: 'pnpm-lock.yaml', expected: digest(lock), seen: digest('changed') },
    ]);
  });

  it('a pinned file that is not read (no reader) counts as changed: fail closed', async () => {
    const { search } = setup({ pinned: { tools: await toolPins(), files: { 'pnpm-lock.yaml': digest(lock) } } });
    const r = await search.safeRun({ q: 'a' });
    expect(r.ok ? undefined : r.denial.reason).toContain('file pnpm-lock.yaml has digest absent');
  });

  it('a read that never answers counts as unreadable, bounded by timeoutMs', async () => {
    const { ag } = setup({
      pinned: { tools: {}, files: { a: digest('a') } },
      files: { read: () => new Promise<Uint8Array>(() => undefined), timeoutMs: 20 },
      onChange: 'alert',
    });
    expect((await ag.attest()).files).toEqual({ a: 'unreadable' });
  });

  it('refuses bad options', () => {
    const bad = [
      { pinned: { tools: {}, files: { a: 'md5:x' } } },
      { pinned: { tools: {}, files: [] } },
      { pinned: { tools: {} }, files: { paths: ['a'] } },
      { pinned: { tools: {} }, files: { paths: [''], read: () => bytes('') } },
      { pinned: { tools: {} }, files: { read: () => bytes(''), timeoutMs: 0 } },
    ];
    for (const attestation of bad) {
      expect(() =>
        createGuard({
          identity: createIdentity(),
          policy,
          audit: createAuditLog({ sink: createMemorySink() }),
          attestation: attestation as unknown as AttestationOptions,
        }),
      ).toThrow(/attestation/);
    }
  });
});
