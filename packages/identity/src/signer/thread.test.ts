import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { utf8 } from '@agentguard/statement';
import { sign, verify } from '../ed25519/ed25519.js';
import { createIdentity, isInProcessIdentity } from '../key/identity.js';
import { startSigningThread, startSigningThreadWith, type SigningWorkerEntry } from './thread.js';

// Every worker the signing threads start, so a test can raise an event a real thread cannot be made to raise.
const made = vi.hoisted(() => [] as Worker[]);
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class Recorded extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      made.push(this);
    }
  }
  return { ...real, Worker: Recorded };
});

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

  it('does not take a thread working through a backlog for a hung one', async () => {
    // 60 ms a batch, 10 batches sent at once: 600 ms in all, 400 ms allowed between answers.
    const slow = entry(`const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, ends }) => {
  const until = Date.now() + 60;
  while (Date.now() < until);
  parentPort.postMessage({ id, signatures: new Uint8Array(64 * ends.length) });
});`);
    const thread = startSigningThreadWith(createIdentity({ secretKey: seed }), slow, 400);
    try {
      await thread.sign(utf8('alone')); // signed here, while the thread starts
      await new Promise((r) => setTimeout(r, 300));
      const all = await Promise.all(Array.from({ length: 2560 }, (_, i) => thread.sign(utf8(`m${i}`))));
      expect(all.every((s) => s.every((b) => b === 0))).toBe(true);
      expect(thread.running).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it('signs here a batch the thread skipped, as soon as it answers a later one', async () => {
    // Answers every batch but the first, with zeros: the first is signed here, at the second's answer.
    const skipper = entry(`const { parentPort } = require('node:worker_threads');
let first = true;
parentPort.on('message', ({ id, ends }) => {
  if (first) { first = false; return; }
  parentPort.postMessage({ id, signatures: new Uint8Array(64 * ends.length) });
});`);
    const thread = startSigningThreadWith(createIdentity({ secretKey: seed }), skipper, 60_000);
    try {
      const skipped = Promise.all([thread.sign(utf8('a')), thread.sign(utf8('b'))]);
      await new Promise((r) => setTimeout(r, 50));
      const answered = await Promise.all([thread.sign(utf8('c')), thread.sign(utf8('d'))]);
      expect(answered).toEqual([new Uint8Array(64), new Uint8Array(64)]);
      expect(await skipped).toEqual([sign(utf8('a'), seed), sign(utf8('b'), seed)]);
      expect(thread.running).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it('stops a thread whose answer cannot be read (messageerror): it holds the key and must not live on', async () => {
    const thread = startSigningThreadWith(
      createIdentity({ secretKey: seed }),
      entry(`require('node:worker_threads').parentPort.on('message', () => {});`),
    );
    const worker = made[made.length - 1] as Worker;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const pending = Promise.all([thread.sign(utf8('a')), thread.sign(utf8('b'))]);
    await new Promise((r) => setTimeout(r, 20));
    worker.emit('messageerror', new Error('could not deserialize'));
    expect(await pending).toEqual([sign(utf8('a'), seed), sign(utf8('b'), seed)]);
    expect(thread.running).toBe(false);
    await exited;
    await thread.close();
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

  it('never keeps the process alive, nor does a thread it stopped: scripts that forget to close exit', async () => {
    const run = async (make: string, expected: string) => {
      const script = `
        const { createIdentity } = await import(${JSON.stringify(new URL('../index.ts', import.meta.url).href)});
        const { startSigningThreadWith, startSigningThread } = await import(${JSON.stringify(new URL('./thread.ts', import.meta.url).href)});
        const thread = ${make};
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
      expect({ err, out: out.trim(), code }).toEqual({ err: '', out: expected, code: 0 });
    };
    await run('startSigningThread(createIdentity())', '3 true');
    // A thread that never answers is stopped after its deadline: it must not hold the process open either.
    const hung = JSON.stringify(`require('node:worker_threads').parentPort.on('message', () => {});`);
    await run(`startSigningThreadWith(createIdentity(), { source: ${hung}, options: { eval: true } }, 200)`, '3 false');
  });
});
