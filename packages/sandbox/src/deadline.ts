import { Worker } from 'node:worker_threads';

/**
 * Deadline kills that do not wait for the agent's event loop. One small worker thread (shared by every
 * runner, unref'd) holds a timer per call and SIGKILLs the call's process group when it fires, so a tool
 * is stopped on time even while the agent's main thread is busy with synchronous work. The main thread
 * arms its own timer too, which delivers the rejection as soon as it gets to run.
 *
 * Who settles a call is decided by one compare-and-swap on a shared cell (0 running, 1 killed, 2 finished):
 * the killer (worker or main) swaps 0 → 1 before it sends SIGKILL, the answer path swaps 0 → 2 before it
 * accepts a result. So a result that races the deadline is either accepted from a process that is not
 * killed, or refused because it was, never accepted from a process that is being killed (which the pool
 * would otherwise reuse).
 */

const RUNNING = 0;
const KILLED = 1;
const FINISHED = 2;

// CommonJS, evaluated: the worker needs no file of its own on disk (and so none in the package's exports).
const KILLER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ cell, pid, ms }) => {
  const state = new Int32Array(cell);
  if (!(pid > 0)) return;
  setTimeout(() => {
    if (Atomics.compareExchange(state, 0, ${RUNNING}, ${KILLED}) !== ${RUNNING}) return;
    try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch {} }
  }, ms);
});
`;

let killer: Worker | undefined | null;

function sharedKiller(): Worker | undefined {
  if (killer === undefined) {
    try {
      killer = new Worker(KILLER_SOURCE, { eval: true });
      killer.unref();
      killer.on('error', () => {
        killer = null; // the main thread's timer still kills; only the busy-loop guarantee is lost
      });
    } catch {
      killer = null; // e.g. the agent itself runs under --permission without --allow-worker
    }
  }
  return killer ?? undefined;
}

/** One call's deadline: armed at dispatch, settled exactly once. */
export interface Deadline {
  /** Claims the call for the killer; true when the caller should SIGKILL (nobody settled it before). */
  claimKill(): boolean;
  /** Claims the call for its answer; false when it was already killed (the answer must be refused). */
  claimFinish(): boolean;
  /** Whether a killer (this thread's or the worker's) claimed the call. */
  readonly killed: boolean;
}

/**
 * Arms a deadline for the process group `pid`: the shared worker SIGKILLs it after `ms` unless the call
 * is claimed first. The caller keeps its own timer for delivering the rejection.
 */
export function armDeadline(pid: number, ms: number): Deadline {
  const cell = new SharedArrayBuffer(4);
  const state = new Int32Array(cell);
  // Never 0 or negative: kill(-0) would reach the agent's own process group.
  if (Number.isInteger(pid) && pid > 0) sharedKiller()?.postMessage({ cell, pid, ms });
  return {
    claimKill: () => Atomics.compareExchange(state, 0, RUNNING, KILLED) === RUNNING,
    claimFinish: () => Atomics.compareExchange(state, 0, RUNNING, FINISHED) === RUNNING,
    get killed() {
      return Atomics.load(state, 0) === KILLED;
    },
  };
}
