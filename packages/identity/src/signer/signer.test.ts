import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64, toBase64Url, toHex, utf8 } from '@agentguard/statement';
import { verify } from '../ed25519/ed25519.js';
import { createIdentity } from '../key/identity.js';
import { saveKeyFile } from '../keystore/file.js';
import { connectSigner } from './client.js';
import { encodeFrame } from './protocol.js';
import { listenSigner, serveSigner } from './server.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = fileURLToPath(new URL('../../test/signer-child.ts', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'agentguard-signer-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const call = (tool: string) => utf8(JSON.stringify({ tool, args: { q: 'x' } }));

describe('out-of-process signer', () => {
  it('a signer in a child process signs an allowed request, refuses a denied one, and the key never crosses the wire', async () => {
    const agent = createIdentity();
    const keyPath = join(dir, 'child.jwk');
    await saveKeyFile(keyPath, agent);
    const child = spawn(process.execPath, ['--conditions', '@agentguard/source', '--import', 'tsx', fixture, keyPath], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const wire: Buffer[] = [];
    const fromChild = new PassThrough();
    const toChild = new PassThrough();
    child.stdout.on('data', (c: Buffer) => {
      wire.push(c);
      fromChild.write(c);
    });
    child.stdout.on('end', () => fromChild.end());
    toChild.on('data', (c: Buffer) => {
      wire.push(c);
      child.stdin.write(c);
    });
    toChild.on('finish', () => child.stdin.end());
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    const signer = await connectSigner({ input: fromChild, output: toChild }, { expect: agent.id, timeoutMs: 20_000 });
    expect(signer.id).toBe(agent.id);
    const allowed = call('search');
    const signature = await signer.sign(allowed, { tool: 'search' });
    expect(verify(signature, allowed, agent.publicKey)).toBe(true);
    // The context is informative: the policy decides on the signed bytes.
    await expect(signer.sign(call('delete_all'), { tool: 'search' })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGNER_DENIED',
    });
    await signer.close();
    expect(await exited).toBe(0);

    const traffic = Buffer.concat(wire);
    const secret = Buffer.from(agent.exportPrivateJwk().d, 'base64url');
    expect(traffic.includes(secret)).toBe(false);
    for (const encoding of [toBase64Url(secret), toBase64(secret), toHex(secret)]) {
      expect(traffic.toString('latin1').includes(encoding)).toBe(false);
    }
    expect(traffic.toString('latin1')).not.toContain('"d"');
  });

  it('serves over a Unix socket (mode 0600) and pins the expected key', async () => {
    const agent = createIdentity();
    const path = join(dir, 'signer.sock');
    const server = await listenSigner({ identity: agent, authorize: () => true, path });
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    const signer = await connectSigner({ path });
    expect(verify(await signer.sign(utf8('m')), utf8('m'), agent.publicKey)).toBe(true);
    await signer.close();
    await expect(connectSigner({ path }, { expect: createIdentity().id })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEY_INVALID',
    });
    await server.close();
    await expect(connectSigner({ path }, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGNER_UNAVAILABLE',
    });
  });

  it('fails closed: a throwing policy denies; garbage frames end the connection with a protocol error', async () => {
    const agent = createIdentity();
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    const decisions: boolean[] = [];
    serveSigner({
      identity: agent,
      input: toServer,
      output: fromServer,
      authorize: () => {
        throw new Error('policy engine down');
      },
      onDecision: (e) => decisions.push(e.allowed),
    });
    const signer = await connectSigner({ input: fromServer, output: toServer });
    await expect(signer.sign(utf8('x'))).rejects.toMatchObject({ code: 'ERR_IDENTITY_SIGNER_DENIED' });
    expect(decisions).toEqual([false]);

    const raw = new PassThrough();
    const out = new PassThrough();
    const frames: Buffer[] = [];
    out.on('data', (c: Buffer) => frames.push(c));
    const server = serveSigner({
      identity: agent,
      input: raw,
      output: out,
      authorize: () => true,
      maxFrameBytes: 1024,
    });
    raw.write(encodeFrame({ v: 1, id: 1, op: 'sign', message: 'not base64url!' }));
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await server.closed;
    const text = Buffer.concat(frames).toString('utf8');
    expect(text).toContain('ERR_IDENTITY_SIGNER_PROTOCOL');
    expect(text).not.toContain('signature');
  });
});
