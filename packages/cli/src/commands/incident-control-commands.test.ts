import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyStatus } from '@agentguard/incident';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';

let dir: string;
let operatorDid = '';
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'agentguard-cli-incident-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const didOf = (out: string) => /did:key:z[1-9A-HJ-NP-Za-km-z]+/.exec(out)?.[0] as string;
const cli = (argv: string[]) => runCli(argv, { cwd: dir });

describe('agentguard incident suspend|quarantine|resume|status', () => {
  it('writes the next signed status each time, and status verifies and prints it', async () => {
    const op = didOf((await cli(['keygen', '--out', 'operator.jwk'])).stdout);
    operatorDid = op;
    const agent = didOf((await cli(['keygen', '--out', 'agent.jwk'])).stdout);
    const base = ['--status', 'status.json', '--key', 'operator.jwk'];
    const first = await cli([
      'incident',
      'suspend',
      ...base,
      '--channel',
      'prod',
      '--scope',
      `agent:${agent}`,
      '--reason',
      'leak',
    ]);
    expect(first.code, first.stderr).toBe(0);
    // A first status starts at the clock (ms), above any seq a guard could hold; each next one is +1.
    const start = Number(/status (\d+) written/.exec(first.stdout)?.[1]);
    expect(start).toBeGreaterThan(Date.UTC(2026, 0, 1));
    const q = await cli(['incident', 'quarantine', ...base, '--scope', `agent:${agent}`]);
    expect(q.code, q.stderr).toBe(0);
    const shown = await cli(['incident', 'status', '--status', 'status.json', '--trust', op, '--channel', 'prod']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`status ${start + 1} on channel prod`);
    expect(shown.stdout).toContain(`suspend agent:${agent} (leak)`);
    expect(shown.stdout).toContain(`quarantine agent:${agent}`);
    const resumed = await cli(['incident', 'resume', ...base, '--all']);
    expect(resumed.code).toBe(0);
    const text = await fs.readFile(join(dir, 'status.json'), 'utf8');
    expect(verifyStatus(text, { trust: [op], channel: 'prod' })).toMatchObject({
      ok: true,
      status: { seq: start + 2, measures: [] },
    });
    // The status file deleted (or the command pointed at a new path): the next status still outranks the last.
    await fs.rm(join(dir, 'status.json'));
    const again = await cli(['incident', 'suspend', ...base, '--channel', 'prod', '--scope', 'all']);
    expect(again.code, again.stderr).toBe(0);
    const next = Number(/status (\d+) written/.exec(again.stdout)?.[1]);
    expect(next).toBeGreaterThan(start + 2);
  });

  it('refuses to build on a status it cannot verify, and status refuses a forged one', async () => {
    const other = didOf((await cli(['keygen', '--out', 'other.jwk'])).stdout);
    expect(other).toMatch(/^did:key:/);
    // status.json is signed by operator.jwk; other.jwk is not trusted for it.
    const r = await cli(['incident', 'suspend', '--status', 'status.json', '--key', 'other.jwk', '--scope', 'all']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_INCIDENT_STATUS_UNTRUSTED');
    const s = await cli(['incident', 'status', '--status', 'status.json', '--trust', other, '--channel', 'prod']);
    expect(s.code).toBe(1);
    const doc = JSON.parse(await fs.readFile(join(dir, 'status.json'), 'utf8'));
    // One bit of the signature flipped (a fixed character written over one would be the same one time in 64).
    const sig = Buffer.from(doc.signatures[0].sig, 'base64');
    sig[10] = (sig[10] as number) ^ 1;
    doc.signatures[0].sig = sig.toString('base64');
    await fs.writeFile(join(dir, 'forged.json'), JSON.stringify(doc));
    const forged = await cli([
      'incident',
      'status',
      '--status',
      'forged.json',
      '--trust',
      operatorDid,
      '--channel',
      'prod',
    ]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/ERR_INCIDENT_STATUS_(FORGED|MALFORMED)/);
    const wrong = await cli([
      'incident',
      'status',
      '--status',
      'status.json',
      '--trust',
      operatorDid,
      '--channel',
      'dev',
    ]);
    expect(wrong.stderr).toContain('ERR_INCIDENT_STATUS_WRONG_CHANNEL');
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['incident', 'suspend', '--status', 'x.json', '--key', 'operator.jwk'])).code).toBe(2);
    expect(
      (await cli(['incident', 'suspend', '--status', 'y.json', '--key', 'operator.jwk', '--scope', 'nope'])).code,
    ).toBe(2);
    expect((await cli(['incident', 'status', '--status', 'status.json'])).code).toBe(2);
  });
});
