import { Worker, type WorkerOptions } from 'node:worker_threads';
import { type PackedBatch, verifyPacked } from './batch.js';

interface Waiting {
  readonly batch: PackedBatch;
  readonly resolve: (bad: number) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly waiting: Map<number, Waiting>;
}

/** What a worker runs: a module URL, or (from the TypeScript sources) a bootstrap to evaluate. */
export interface WorkerEntry {
  readonly source: URL | string;
  readonly options: WorkerOptions;
}

/**
 * Where the worker entry is: beside this module once built (dist/verify-worker.js). Run from the
 * TypeScript sources (tests, `pnpm agentguard` in the workspace), the worker first registers tsx, the
 * workspace's TypeScript loader, in its own thread, then imports the .ts entry.
 */
function workerEntry(): WorkerEntry {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { source: new URL('./verify-worker.js', here), options: {} };
  const entry = JSON.stringify(new URL('./worker.ts', here).href);
  return {
    source: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`,
    options: { eval: true, execArgv: ['--conditions', '@agentguard/source'] },
  };
}

/**
 * A pool of worker threads that verify packed signature batches. Workers start
 * on the first batch. A worker that fails (cannot start, crashes) is retired
 * and its batches, and every later one, are verified on the calling thread:
 * slower, never skipped. Internal.
 */
export class VerifyPool {
  private readonly slots: Slot[] = [];
  private started = false;
  private broken = false;
  private next = 0;
  private ids = 0;

  constructor(
    private readonly size: number,
    private readonly entry: WorkerEntry = workerEntry(),
  ) {}

  /** Workers running now (0 before the first batch, and once a failure retired them). */
  get running(): number {
    return this.broken ? 0 : this.slots.length;
  }

  /** Verifies a batch; resolves with the index of its first bad signature, or -1. */
  submit(batch: PackedBatch): Promise<number> {
    if (!this.started) this.start();
    if (this.broken || this.slots.length === 0) return Promise.resolve(verifyPacked(batch));
    // The slot with the fewest batches in flight (round-robin among equals).
    let slot = this.slots[this.next % this.slots.length] as Slot;
    for (const s of this.slots) if (s.waiting.size < slot.waiting.size) slot = s;
    this.next += 1;
    const id = this.ids++;
    return new Promise<number>((resolve) => {
      slot.waiting.set(id, { batch, resolve });
      slot.worker.postMessage({ id, batch });
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private start(): void {
    this.started = true;
    const { source, options } = this.entry;
    for (let i = 0; i < this.size; i++) {
      let worker: Worker;
      try {
        worker = new Worker(source, options);
      } catch {
        this.broken = true;
        return;
      }
      const slot: Slot = { worker, waiting: new Map() };
      worker.on('message', (message: { id: number; bad: number }) => {
        const waiting = slot.waiting.get(message.id);
        if (waiting === undefined) return;
        slot.waiting.delete(message.id);
        waiting.resolve(message.bad);
      });
      const retire = () => {
        this.broken = true;
        for (const waiting of slot.waiting.values()) waiting.resolve(verifyPacked(waiting.batch));
        slot.waiting.clear();
      };
      worker.on('error', retire);
      worker.on('exit', retire);
      this.slots.push(slot);
    }
  }
}
