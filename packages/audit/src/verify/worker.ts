/**
 * Worker-thread entry of {@link verifyLogFile}: verifies packed batches of
 * Ed25519 signatures and answers with the index of the first bad one. It holds
 * no keys and no state: a batch in, an index out.
 */
import { parentPort } from 'node:worker_threads';
import { type PackedBatch, verifyPacked } from './batch.js';

interface Job {
  readonly id: number;
  readonly batch: PackedBatch;
}

parentPort?.on('message', (job: Job) => {
  let bad: number;
  try {
    bad = verifyPacked(job.batch);
  } catch {
    // Fail closed: a batch that cannot be checked is reported bad at its first signature.
    bad = 0;
  }
  parentPort?.postMessage({ id: job.id, bad });
});
