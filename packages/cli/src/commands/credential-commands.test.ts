import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSigner } from '@agentguard/identity/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Command, type CommandIO, UsageError } from '../command.js';
import { credentialInspectCommand } from './credential-inspect.js';
import { credentialIssueCommand } from './credential-issue.js';
import { credentialVerifyCommand } from './credential-verify.js';
import { keygenCommand } from './keygen.js';
import { revokeCommand } from './revoke.js';
import { signerServeCommand } from './signer-serve.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'agentguard-cli-identity-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs one command in-process like main() does (usage errors exit 2), capturing output. */
async function run(
  command: Command,
  argv: string[],
  env: Record<string, string> = {},
  signal = new AbortController().signal,
) {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: dir,
    isTTY: false,
    env,
    signal,
  };
  try {
    return { code: await command.run(argv, io), stdout, stderr };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout, stderr: stderr + error.message };
    const code = (error as { code?: unknown }).code;
    return { code: 1, stdout, stderr: `${stderr}${String(code)}: ${(error as Error).message}` };
  }
}

const didOf = (out: string) => /did: (did:key:\S+)/.exec(out)?.[1] as string;

describe('keygen, credential issue|inspect|verify, revoke', () => {
  it('issues, inspects, verifies and revokes a credential end to end', async () => {
    const auth = await run(keygenCommand, ['--out', 'authority.jwk', '--passphrase-env', 'PW'], { PW: 'secret words' });
    expect(auth.code).toBe(0);
    expect(auth.stdout).toContain('(encrypted)');
    expect((await fs.stat(join(dir, 'authority.jwk'))).mode & 0o777).toBe(0o600);
    const agent = await run(keygenCommand, ['--out', 'agent.jwk']);
    const authority = didOf(auth.stdout);
    const subject = didOf(agent.stdout);
    expect(agent.stdout).not.toContain('"d"');
    expect((await run(keygenCommand, ['--out', 'agent.jwk'])).code).toBe(1); // never overwrites
    // An encrypted key without a passphrase: the message names the option that gives one.
    const locked = await run(revokeCommand, ['--key', 'authority.jwk', '--seq', '1', '--jti', 'j', '--out', 'no.txt']);
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toContain('ERR_IDENTITY_KEYSTORE_PASSPHRASE');
    expect(locked.stderr).toContain('--passphrase-env');

    const issued = await run(
      credentialIssueCommand,
      [
        '--key',
        'authority.jwk',
        '--passphrase-env',
        'PW',
        '--subject',
        subject,
        '--name',
        'billing',
        '--owner',
        'team',
        '--env',
        'prod',
        '--tier',
        'high',
        '--tool',
        'invoice.*',
        '--scope',
        'read',
        '--args',
        '{"amount":{"max":100}}',
        '--max-calls',
        '10',
        '--ttl',
        '1h',
      ],
      { PW: 'secret words' },
    );
    expect(issued.code).toBe(0);
    const token = issued.stdout.trim();
    await fs.writeFile(join(dir, 'cred.jwt'), `${token}\n`);

    const inspected = await run(credentialInspectCommand, ['cred.jwt']);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({
      claims: { name: 'billing', riskTier: 'high', maxCalls: 10 },
      verified: false,
    });

    const ok = await run(credentialVerifyCommand, [token, '--trust', authority]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`OK credential for ${subject}`);
    const untrusted = await run(credentialVerifyCommand, [token, '--trust', subject]);
    expect(untrusted).toMatchObject({ code: 1, stdout: expect.stringContaining('ERR_IDENTITY_ISSUER_UNTRUSTED') });

    const jti = JSON.parse(inspected.stdout).claims.jti as string;
    const revoked = await run(
      revokeCommand,
      // `--jti=<id>`: a random id starts with "-" one time in 64, and a separate "-…" argument reads as an option.
      ['--key', 'authority.jwk', '--passphrase-env', 'PW', '--seq', '1', `--jti=${jti}`, '--out', 'revoked.txt'],
      { PW: 'secret words' },
    );
    expect(revoked.code).toBe(0);
    const refused = await run(credentialVerifyCommand, [
      'cred.jwt',
      '--trust',
      authority,
      '--revocation',
      'revoked.txt',
    ]);
    expect(refused).toMatchObject({ code: 1, stdout: expect.stringContaining('ERR_IDENTITY_REVOKED') });

    // An id that starts with "-": the separate form is a usage error that names the `=` form; the `=` form signs.
    const dashArgs = ['--key', 'authority.jwk', '--passphrase-env', 'PW', '--seq', '2'];
    const ambiguous = await run(revokeCommand, [...dashArgs, '--jti', '-Ab', '--out', 'dash.txt'], {
      PW: 'secret words',
    });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('--jti=');
    const dashed = await run(revokeCommand, [...dashArgs, '--jti=-Ab', '--out', 'dash.txt'], { PW: 'secret words' });
    expect(dashed.code).toBe(0);
    const listToken = (await fs.readFile(join(dir, 'dash.txt'), 'utf8')).trim();
    const payload = JSON.parse(Buffer.from(listToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(JSON.stringify(payload)).toContain('"-Ab"');
  });

  it('usage errors exit 2; malformed tokens exit 1 with their code', async () => {
    expect((await run(keygenCommand, [])).code).toBe(2);
    expect((await run(keygenCommand, ['--out', 'x.jwk', '--passphrase-env', 'UNSET'])).code).toBe(2);
    expect((await run(credentialIssueCommand, ['--key', 'k'])).code).toBe(2);
    expect((await run(credentialVerifyCommand, ['a.b.c'])).code).toBe(2);
    expect((await run(credentialVerifyCommand, ['a.b.c', '--trust', 'did:web:x'])).code).toBe(2);
    expect(
      (
        await run(credentialVerifyCommand, [
          'a.b.c',
          '--trust',
          'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
          '--skew',
          '900000',
        ])
      ).code,
    ).toBe(2);
    const bad = await run(credentialInspectCommand, ['eyJhbGciOiJub25lIn0.e30.AA']);
    expect(bad).toMatchObject({ code: 1, stdout: expect.stringContaining('MALFORMED') });
    expect((await run(revokeCommand, ['--key', 'k'])).code).toBe(2);
    expect((await run(signerServeCommand, ['--key', 'agent.jwk'])).code).toBe(2);
  });
});

describe('credential issue --alg', () => {
  const header = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as { alg: string };
  const issue = (extra: string[]) =>
    run(credentialIssueCommand, [
      ...['--key', 'alg-authority.jwk', '--subject', 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'],
      ...['--name', 'n', '--owner', 'o', '--env', 'e', '--tier', 'low', '--tool', 'read_*', ...extra],
    ]);

  it('issues alg EdDSA (RFC 8037) on request, Ed25519 by default, and both verify', async () => {
    const auth = await run(keygenCommand, ['--out', 'alg-authority.jwk']);
    const authority = didOf(auth.stdout);
    const byDefault = await issue([]);
    const eddsa = await issue(['--alg', 'EdDSA']);
    const explicit = await issue(['--alg', 'Ed25519']);
    expect([byDefault.code, eddsa.code, explicit.code]).toEqual([0, 0, 0]);
    expect(header(byDefault.stdout.trim()).alg).toBe('Ed25519');
    expect(header(eddsa.stdout.trim()).alg).toBe('EdDSA');
    expect(header(explicit.stdout.trim()).alg).toBe('Ed25519');
    for (const token of [byDefault.stdout.trim(), eddsa.stdout.trim()]) {
      const verified = await run(credentialVerifyCommand, [token, '--trust', authority]);
      expect(verified.code).toBe(0);
    }
  });

  it('refuses any other alg as a usage error, issuing nothing', async () => {
    for (const alg of ['none', 'ES256', 'eddsa', '']) {
      const refused = await issue(['--alg', alg]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--alg expects Ed25519 or EdDSA');
      expect(refused.stdout).toBe('');
    }
  });
});

describe('signer serve', () => {
  it('serves a key on a socket, denying all without a policy and signing with --allow-any', async () => {
    await run(keygenCommand, ['--out', 'signer.jwk']);
    for (const [flags, allowed] of [
      [[], false],
      [['--allow-any'], true],
    ] as const) {
      const socket = join(dir, `s-${allowed}.sock`);
      const abort = new AbortController();
      const serving = run(signerServeCommand, ['--key', 'signer.jwk', '--socket', socket, ...flags], {}, abort.signal);
      let signer: Awaited<ReturnType<typeof connectSigner>> | undefined;
      for (let i = 0; i < 100 && signer === undefined; i++) {
        signer = await connectSigner({ path: socket }, { timeoutMs: 2000 }).catch(async () => {
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        });
      }
      if (signer === undefined) throw new Error('signer did not start');
      const attempt = signer.sign(new Uint8Array([1, 2, 3]));
      if (allowed) expect((await attempt).length).toBe(64);
      else await expect(attempt).rejects.toMatchObject({ code: 'ERR_IDENTITY_SIGNER_DENIED' });
      await signer.close();
      abort.abort();
      expect((await serving).code).toBe(0);
    }
  });
});
