import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createFileSink } from './sink.js';

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
