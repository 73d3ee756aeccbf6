/**
 * End to end: run the monitoring demo as a user would, then check what it printed and wrote: the
 * monitored benign run raises nothing, the hijacked run's exfiltrating call is flagged with its
 * evidence and blocked, and the signed profile it wrote verifies and refuses a changed byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLog, verifyLog } from '@agentguard/audit';
import { verifySignedProfile } from '@agentguard/monitor';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentguard-monitor-demo-'));
let stdout = '';

beforeAll(() => {
  const run = spawnSync(
    process.execPath,
    ['--conditions', '@agentguard/source', '--import', 'tsx', resolve(repo, 'examples/monitor-hijack/src/main.ts')],
    { cwd: repo, encoding: 'utf8', env: { ...process.env, AGENTGUARD_DEMO_DIR: dir } },
  );
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  stdout = run.stdout;
}, 60_000);

describe('monitor-hijack demo', () => {
  it('learns from the benign run and flags nothing when the same requests run monitored', () => {
    expect(stdout).toMatch(/^benign run: 9 calls, audit log /m);
    expect(stdout).toMatch(/^profile: sha256:[0-9a-f]{64} \(4 sessions\) signed by did:key:z\S+$/m);
    expect(stdout).toMatch(/^benign run, monitored: 9 calls, 0 flagged$/m);
  });

  it('the guard flags the hijacked send_email before it runs, naming where the address came from, and denies it', () => {
    expect(stdout).toMatch(/^ALERT +send_email\(\{"to":"archive-team@exfil-mail\.example\.net"/m);
    expect(stdout).toMatch(/^ +ERR_GUARD_POLICY_DENIED by rule deny-flagged: the call did not run$/m);
    // The evidence as the audit log holds it: the address itself is redacted, its origin is not.
    expect(stdout).toMatch(
      /value\.ungrounded: expected a value named in the request, a structured field of an earlier result, or the profile; seen email:\[REDACTED:email:[^\]]+\], seen only inside text returned by read_inbox/,
    );
    expect(stdout).toMatch(/^hijacked run, monitored: 4 calls, 1 flagged, 1 denied$/m);
  });

  it("the hijacked run's audit log verifies and holds the signed alert before the denial; the address never", () => {
    const text = readFileSync(join(dir, 'hijacked.jsonl'), 'utf8');
    const agentId = /"agent":"(did:key:z[^"]+)"/.exec(text)?.[1] ?? '';
    expect(verifyLog(text, { trust: [agentId] }).ok).toBe(true);
    const types = readLog(text).records.map((r) => r.type);
    const alertAt = types.indexOf('monitor.alert');
    expect(alertAt).toBeGreaterThan(0);
    expect(types[alertAt + 1]).toBe('call.denied');
    expect(types.filter((t) => t === 'monitor.alert')).toHaveLength(1);
    expect(types.filter((t) => t === 'call.completed')).toHaveLength(3);
    expect(text).not.toContain('archive-team@exfil-mail.example.net');
    // A changed byte in the alert breaks the chain.
    const changed = text.replace('"transition.unknown"', '"transition.unknowN"');
    expect(changed).not.toBe(text);
    expect(verifyLog(changed, { trust: [agentId] }).ok).toBe(false);
  });

  it('the monitored benign run wrote no alert', () => {
    expect(readFileSync(join(dir, 'benign-monitored.jsonl'), 'utf8')).not.toContain('monitor.alert');
  });

  it('writes a signed profile that verifies against the operator key and refuses a changed byte', () => {
    const operator = /signed by (did:key:z\S+)$/m.exec(stdout)?.[1] ?? '';
    const text = readFileSync(join(dir, 'profile.json'), 'utf8');
    expect(verifySignedProfile(JSON.parse(text), [operator]).ok).toBe(true);
    const changed = text.replace('"read_inbox"', '"read_inbax"');
    expect(verifySignedProfile(JSON.parse(changed), [operator])).toMatchObject({ ok: false });
  });
});
