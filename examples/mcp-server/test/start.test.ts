import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('serves the signed call and refuses the unsigned and the untrusted one', () => {
  const run = spawnSync(process.execPath, ['--conditions', '@agentguard/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^SERVED +call signed by a trusted agent/m);
  expect(run.stdout).toMatch(/^REFUSED call without an envelope\n.*ERR_ATTESTATION_ENVELOPE_MALFORMED/m);
  expect(run.stdout).toMatch(/^REFUSED call signed by an untrusted agent\n.*ERR_ATTESTATION_KEY_UNTRUSTED/m);
});
