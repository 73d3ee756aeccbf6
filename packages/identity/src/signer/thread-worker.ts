/**
 * Worker-thread entry of {@link startSigningThread}: holds one Ed25519 secret key (given once, in
 * `workerData`) and signs batches of messages with it (packed end to end in one buffer), answering with the
 * signatures packed 64 bytes apart. It signs whatever its parent thread sends: it is part of that identity,
 * not a policy boundary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sign } from '../ed25519/ed25519.js';

interface Job {
  readonly id: number;
  /** The messages, end to end. */
  readonly bytes: Uint8Array;
  /** Where each message ends in `bytes`. */
  readonly ends: readonly number[];
}

const secretKey = (workerData as { readonly secretKey: Uint8Array }).secretKey;

parentPort?.on('message', (job: Job) => {
  try {
    const signatures = new Uint8Array(64 * job.ends.length);
    let start = 0;
    for (const [i, end] of job.ends.entries()) {
      signatures.set(sign(job.bytes.subarray(start, end), secretKey), 64 * i);
      start = end;
    }
    parentPort?.postMessage({ id: job.id, signatures }, [signatures.buffer]);
  } catch {
    // The parent signs this batch itself and reports any error from there, with its own stack.
    parentPort?.postMessage({ id: job.id });
  }
});
