import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '@agentguard/statement';
import { sign, verify } from '../ed25519/ed25519.js';
import { createIdentity, isInProcessIdentity } from '../key/identity.js';
import { startSigningThread, startSigningThreadWith, type SigningWorkerEntry } from './thread.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const seed = new Uint8Array(32).fill(7);

/** A thread that answers every batch with signatures of zeros: shows which signatures the thread made. */
const zeros: SigningWorkerEntry = {
  source: `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, ends }) => parentPort.postMessage({ id, signatures: new Uint8Array(64 * ends.length) }));`,
  options: { eval: true },
};
const entry = (source: string): SigningWorkerEntry => ({ source, options: { eval: true } });

describe('startSigningThread', () => {
  it('signs as the identity does, for messages asked for together and alone (property)', async () => {
    const agent = createIdentity({ secretKey: seed, name: 'billing' });
    const thread = startSigningThread(agent);
    try {
      expect(thread.running).toBe(true);
      expect({ id: thread.id, name: thread.name, keyId: thread.keyId }).toEqual({
        id: agent.id,
        name: 'billing',
        keyId: agent.keyId,
      });
      expect(thread.publicKey).toEqual(agent.publicKey);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 40 }),
          async (batch) => {
            const signatures = await Promise.all(batch.map((m) => thread.sign(m)));
            expect(signatures).toEqual(batch.map((m) => sign(m, seed)));
          },
        ),
        { numRuns: 40 },
      );
      // More than one batch's worth at once, and a message too large to copy to the thread.
      const many = Array.from({ length: 600 }, (_, i) => utf8(`record ${i}`));
      const large = new Uint8Array(70 * 1024).fill(3);
      const all = await Promise.all([...many, large].map((m) => thread.sign(m)));
      expect(all.map((s, i) => verify(s, [...many, large][i] as Uint8Array, agent.publicKey))).not.toContain(false);
      expect(thread.running).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it('sends what is asked for together to the thread, and signs one message alone here', async () => {
    const thread = startSigningThreadWith(createIdentity({ secretKey: seed }), zeros);
    try {
      const alone = await thread.sign(utf8('alone'));
      expect(alone).toEqual(sign(utf8('alone'), seed));
      const together = await Promise.all([thread.sign(utf8('a')), thread.sign(utf8('b'))]);
      expect(together).toEqual([new Uint8Array(64), new Uint8Array(64)]);
      // Each caller has its own copy: changing one signature changes no other.
      (together[0] as Uint8Array)[0] = 1;
      expect(together[1]).toEqual(new Uint8Array(64));
    } finally {
      await thread.close();
    }
  });

  it('signs the bytes as they were when asked, and only them, whatever the caller does with its buffer', async () => {
    const thread = startSigningThreadWith(createIdentity({ secretKey: seed }), {
      // Echoes the message's bytes, padded: shows exactly what reached the thread.
      source: `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, bytes, ends }) => {
  const out = new Uint8Array(64 * ends.length);
  let start = 0;
  ends.forEach((end, i) => { out[64 * i] = end - start; out.set(bytes.subarray(start, Math.min(end, start + 63)), 64 * i + 1); start = end; });
  out[0] |= bytes.buffer.byteLength === bytes.length ? 0 : 128; // a view of a larger buffer: too much crossed
  parentPort.postMessage({ id, signatures: out });
});`,
      options: { eval: true },
    });
    try {
      const big = new Uint8Array(1000).fill(9);
      const view = big.subarray(10, 14);
      view.set([1, 2, 3, 4]);
      const first = thread.sign(view);
      const second = thread.sign(utf8('xy'));
      view.set([5, 6, 7, 8]); // after asking: must not change what is signed
      const [a, b] = await Promise.all([first, second]);
      expect([...(a as Uint8Array).subarray(0, 5)]).toEqual([4, 1, 2, 3, 4]);
      expect([...(b as Uint8Array).subarray(0, 3)]).toEqual([2, 120, 121]);
    } finally {
      await thread.close();
    }
  });

  it('signs here when the thread fails, answers wrongly, cannot start, or is closed: never loses a request', async () => {
    const agent = createIdentity({ secretKey: seed });
    const messages = Array.from({ length: 20 }, (_, i) => utf8(`m${i}`));
    const expected = messages.map((m) => sign(m, seed));
    const threads = [
      // Exits on its first batch, with the batch unanswered.
      startSigningThreadWith(
        agent,
        entry(`require('node:worker_threads').parentPort.on('message', () => process.exit(3));`),
      ),
      // Throws on its first batch.
      startSigningThreadWith(
        agent,
        entry(`require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });`),
      ),
      // Answers with too few signatures, or with something that is not bytes.
      startSigningThreadWith(
        agent,
        entry(`const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, ends }) => parentPort.postMessage({ id, signatures: ends.length % 2 ? 'x' : new Uint8Array(64) }));`),
      ),
      // Answers that are no answer (null, no id), then one that cannot be read back (a messageerror).
      startSigningThreadWith(
        agent,
        entry(`const { parentPort } = require('node:worker_threads');
parentPort.on('message', () => { parentPort.postMessage(null); parentPort.postMessage({ id: 'x' }); parentPort.postMessage(7); });`),
        100, // then counted as hung
      ),
      // Hung: never answers at all.
      startSigningThreadWith(agent, entry(`require('node:worker_threads').parentPort.on('message', () => {});`), 100),
      // A module that is not there.
      startSigningThreadWith(agent, { source: new URL('./no-such-worker.js', import.meta.url), options: {} }),
    ];
    for (const thread of threads) {
      for (let round = 0; round < 3; round++) {
        expect(await Promise.all(messages.map((m) => thread.sign(m)))).toEqual(expected);
      }
      await thread.close();
    }
    // A thread closed while batches are in flight: they are signed here.
    const thread = startSigningThreadWith(
      agent,
      entry(`require('node:worker_threads').parentPort.on('message', () => {});`),
    );
    const pending = Promise.all(messages.map((m) => thread.sign(m)));
    await new Promise((r) => setTimeout(r, 20));
    await thread.close();
    expect(thread.running).toBe(false);
    expect(await pending).toEqual(expected);
    expect(await thread.sign(utf8('after'))).toEqual(sign(utf8('after'), seed));
    // Idempotent: every call resolves once the thread has stopped.
    await Promise.all([thread.close(), thread.close()]);
  });

  it('is an identity of this process, never leaks its key, and refuses a signer whose key is elsewhere', async () => {
    const agent = createIdentity({ secretKey: seed });
    const thread = startSigningThread(agent);
    try {
      expect(isInProcessIdentity(thread)).toBe(true);
      expect(Object.isFrozen(thread)).toBe(true);
      const json = JSON.stringify(thread);
      expect(JSON.parse(json)).toEqual({ id: agent.id, name: agent.name, keyId: agent.keyId });
      expect(thread.exportPrivateJwk()).toEqual(agent.exportPrivateJwk());
      await expect(thread.sign('text' as unknown as Uint8Array)).rejects.toThrow(TypeError);
      // A thread of a thread is the same identity.
      const again = startSigningThread(thread);
      expect(await Promise.all([again.sign(utf8('a')), again.sign(utf8('b'))])).toEqual([
        sign(utf8('a'), seed),
        sign(utf8('b'), seed),
      ]);
      await again.close();
    } finally {
      await thread.close();
    }
    const wrapper = { ...agent, sign: (m: Uint8Array) => agent.sign(m) };
    expect(() => startSigningThread(wrapper)).toThrow(/identity of this process/);
    expect(() => startSigningThread({} as never)).toThrow(TypeError);
  });

  it('never keeps the process alive: a script that signs and forgets to close exits', async () => {
    const script = `
      const { createIdentity } = await import(${JSON.stringify(new URL('../index.ts', import.meta.url).href)});
      const { startSigningThread } = await import(${JSON.stringify(new URL('../node.ts', import.meta.url).href)});
      const thread = startSigningThread(createIdentity());
      const m = new TextEncoder().encode('x');
      const s = await Promise.all([thread.sign(m), thread.sign(m), thread.sign(m)]);
      console.log(String(s.length) + ' ' + String(thread.running));
    `;
    const child = spawn(
      process.execPath,
      ['--conditions', '@agentguard/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    expect(err).toBe('');
    expect(out.trim()).toBe('3 true');
    expect(code).toBe(0);
  });
});
