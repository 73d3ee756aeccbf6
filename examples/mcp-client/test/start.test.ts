import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('guards calls to the example server in another process; the server refuses the unsigned call', () => {
  const log = join(mkdtempSync(join(tmpdir(), 'agentguard-mcp-client-')), 'audit.jsonl');
  const run = spawnSync(process.execPath, ['--conditions', '@agentguard/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    env: { ...process.env, AGENTGUARD_DEMO_LOG: log },
  });
  expect(run.status).toBe(0);
  // The only thing on stderr is the server's own refusal notice.
  expect(run.stderr.trim()).toMatch(/^\[mcp-server\] refused delete_user: .*ERR_ATTESTATION_ENVELOPE_MALFORMED/);
  expect(run.stdout).toMatch(/^pinned 2 tool definitions/m);
  expect(run.stdout).toMatch(/^ALLOWED get_weather via the guard/m);
  expect(run.stdout).toMatch(/^DENIED {2}delete_user via the guard\n.*ERR_GUARD_POLICY_DENIED/m);
  expect(run.stdout).toMatch(/^DENIED {2}delete_user on the raw client.*\n.*ERR_GUARD_ENVELOPE_REJECTED/m);
  expect(run.stdout).toContain(`audit log: ${log}`);
});
