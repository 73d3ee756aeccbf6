import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stderrDrained } from '../src/runner.js';

// A process's 'exit' may come before the last of its stderr is read; the runner classifies an exit only once stderr
// has ended (or a short wait has passed), so V8's out-of-memory report is not missed and a heap bomb is not a crash.
describe('stderrDrained', () => {
  it('waits for output still in the pipe, then resolves at its end', async () => {
    const stderr = new PassThrough();
    let tail = '';
    stderr.on('data', (c: Buffer) => {
      tail += c.toString('utf8');
    });
    let resolved = false;
    const drained = stderrDrained({ stderr } as never, 60_000).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false); // the pipe is still open: the report may yet come
    stderr.end('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
    await drained;
    expect(tail).toContain('JavaScript heap out of memory');
  });

  it('gives up after its wait when the pipe stays open (a grandchild holding it)', async () => {
    const stderr = new PassThrough();
    const start = performance.now();
    await stderrDrained({ stderr } as never, 50);
    expect(performance.now() - start).toBeGreaterThanOrEqual(45);
  });

  it('resolves at once for a pipe already ended or absent', async () => {
    const stderr = new PassThrough();
    stderr.resume();
    stderr.end();
    await new Promise((r) => stderr.once('end', r));
    await expect(stderrDrained({ stderr } as never, 60_000)).resolves.toBeUndefined();
    await expect(stderrDrained({ stderr: null } as never, 60_000)).resolves.toBeUndefined();
  });
});
