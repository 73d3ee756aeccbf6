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

  it('flags the hijacked send_email before it runs, naming where the address came from', () => {
    expect(stdout).toMatch(/^ALERT +send_email\(\{"to":"archive-team@exfil-mail\.example\.net"/m);
    expect(stdout).toContain(
      'value.ungrounded: expected a value named in the request, a structured field of an earlier result, or the profile; ' +
        'seen email:archive-team@exfil-mail.example.net, seen only inside text returned by read_inbox',
    );
    expect(stdout).toMatch(/^hijacked run, monitored: 4 calls, 1 flagged$/m);
    // The blocked call never reached the audit log; the user's own e-mail to Bo did.
    const log = readFileSync(join(dir, 'hijacked.jsonl'), 'utf8');
    expect(log).not.toContain('archive-team@exfil-mail.example.net');
    expect(log.match(/"type":"call.completed"/g)).toHaveLength(3);
  });

  it('writes a signed profile that verifies against the operator key and refuses a changed byte', () => {
    const operator = /signed by (did:key:z\S+)$/m.exec(stdout)?.[1] ?? '';
    const text = readFileSync(join(dir, 'profile.json'), 'utf8');
    expect(verifySignedProfile(JSON.parse(text), [operator]).ok).toBe(true);
    const changed = text.replace('"read_inbox"', '"read_inbax"');
    expect(verifySignedProfile(JSON.parse(changed), [operator])).toMatchObject({ ok: false });
  });
});
