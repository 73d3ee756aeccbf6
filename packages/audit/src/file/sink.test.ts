import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createFileSink } from './sink.js';
import { createAuditLog } from '../log/log.js';
import { verifyLog } from '../verify/verify.js';
import { AGENT, event } from '../../test/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-file-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
let n = 0;
const fresh = () => join(dir, `sink-${n++}.jsonl`);

/** The prototype of Node's FileHandle, to make one of its syncs fail. */
async function fileHandlePrototype(): Promise<{ datasync(): Promise<void> }> {
  const handle = await open(fresh(), 'w');
  const proto = Object.getPrototypeOf(handle) as { datasync(): Promise<void> };
  await handle.close();
  return proto;
}

describe('createFileSink, group mode (pipelined)', () => {
  it('declares a pipeline and writes overlapping batches in call order', async () => {
    const path = fresh();
    const sink = await createFileSink(path, { durability: 'group' });
    expect(sink.pipelineDepth).toBeGreaterThan(1);
    await Promise.all(Array.from({ length: 30 }, (_, i) => sink.write([`{"n":${i}}`, `{"m":${i}}`])));
    await sink.close();
    const expected = Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n{"m":${i}}\n`).join('');
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });

  it('when a sync fails, fails that batch and every batch behind it, leaves none of their lines, and goes on after', async () => {
    const proto = await fileHandlePrototype();
    const original = proto.datasync;
    let calls = 0;
    vi.spyOn(proto, 'datasync').mockImplementation(function (this: unknown) {
      calls++;
      if (calls === 2) return new Promise((_, reject) => setTimeout(() => reject(new Error('EIO: sync failed')), 20));
      return original.call(this);
    });
    const path = fresh();
    const sink = await createFileSink(path, { durability: 'group' });
    const outcome = await Promise.allSettled([sink.write(['a']), sink.write(['b']), sink.write(['c'])]);
    expect(outcome.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(String((outcome[1] as PromiseRejectedResult).reason)).toContain('EIO');
    expect(readFileSync(path, 'utf8')).toBe('a\n');
    expect(sink.bytes).toBe(2);
    await sink.write(['d']);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe('a\nd\n');
  });

  it('fails a batch asked for while a failed batch is being undone (it chains from it), and keeps one asked for after', async () => {
    const proto = (await fileHandlePrototype()) as unknown as {
      datasync(): Promise<void>;
      truncate(len?: number): Promise<void>;
    };
    const originalSync = proto.datasync;
    const originalTruncate = proto.truncate;
    let syncs = 0;
    vi.spyOn(proto, 'datasync').mockImplementation(function (this: unknown) {
      syncs++;
      if (syncs === 2) return Promise.reject(new Error('EIO: sync failed'));
      return originalSync.call(this);
    });
    const path = fresh();
    const sink = await createFileSink(path, { durability: 'group' });
    let duringUndo: Promise<void> | undefined;
    vi.spyOn(proto, 'truncate').mockImplementation(function (this: unknown, len?: number) {
      // Asked for by a writer that has not yet been told of the failure: it follows the failed batch.
      duringUndo ??= sink.write(['c']);
      return originalTruncate.call(this, len);
    });
    await sink.write(['a']);
    await expect(sink.write(['b'])).rejects.toThrow(/EIO/);
    await expect(duringUndo).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    expect(readFileSync(path, 'utf8')).toBe('a\n');
    // Asked for once the failure was handed back: the writer's answer to it, kept.
    await sink.write(['d']);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe('a\nd\n');
  });

  it('with two file sinks, fails a batch the log sent before it learned that one sink failed the batch before', async () => {
    const proto = (await fileHandlePrototype()) as unknown as {
      datasync(this: { fd: number }): Promise<void>;
      write(this: { fd: number }, ...args: unknown[]): Promise<unknown>;
    };
    const originalSync = proto.datasync;
    const originalWrite = proto.write;
    const order: number[] = [];
    vi.spyOn(proto, 'write').mockImplementation(function (this: { fd: number }, ...args: unknown[]) {
      if (!order.includes(this.fd)) order.push(this.fd);
      return originalWrite.apply(this, args);
    });
    const syncs = new Map<number, number>();
    // The second batch: sink A fails it at once, sink B only 100 ms later, so the log learns of it late.
    vi.spyOn(proto, 'datasync').mockImplementation(function (this: { fd: number }) {
      const count = (syncs.get(this.fd) ?? 0) + 1;
      syncs.set(this.fd, count);
      if (count !== 2) return originalSync.call(this);
      if (this.fd === order[0]) return Promise.reject(new Error('EIO A'));
      return new Promise((_, reject) => setTimeout(() => reject(new Error('EIO B')), 100));
    });
    const [pathA, pathB] = [fresh(), fresh()];
    const log = createAuditLog({
      sink: [
        await createFileSink(pathA, { durability: 'group' }),
        await createFileSink(pathB, { durability: 'group' }),
      ],
      maxBatch: 1,
    });
    await log.append(event(0), AGENT);
    const second = log.append(event(1), AGENT).then(
      () => 'kept',
      () => 'refused',
    );
    await new Promise((r) => setTimeout(r, 30));
    // Sent while sink B still syncs the failed batch: it chains from it.
    const third = log.append(event(2), AGENT).then(
      () => 'kept',
      () => 'refused',
    );
    expect([await second, await third]).toEqual(['refused', 'refused']);
    // An ordinary failure (every sink failed the batch): the log goes on from the last durable record.
    await expect(log.append(event(3), AGENT)).resolves.toMatchObject({ seq: 1 });
    await log.close();
    for (const path of [pathA, pathB]) {
      const text = readFileSync(path, 'utf8');
      expect(
        text
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { seq: number }).seq),
      ).toEqual([0, 1]);
      expect(verifyLog(text, { trust: [AGENT.id] })).toMatchObject({ ok: true, records: 2 });
    }
  });

  it('refuses every later write when the undo itself fails', async () => {
    const proto = (await fileHandlePrototype()) as unknown as {
      datasync(): Promise<void>;
      truncate(len?: number): Promise<void>;
    };
    vi.spyOn(proto, 'datasync').mockRejectedValue(new Error('EIO: sync failed'));
    vi.spyOn(proto, 'truncate').mockRejectedValue(new Error('EIO: cannot truncate'));
    const sink = await createFileSink(fresh(), { durability: 'group' });
    await expect(sink.write(['a'])).rejects.toThrow(/EIO/);
    vi.restoreAllMocks();
    await expect(sink.write(['b'])).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
    await expect(sink.close()).rejects.toMatchObject({ code: 'ERR_AUDIT_SINK_FAILED' });
  });
});
