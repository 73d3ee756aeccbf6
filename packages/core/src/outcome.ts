import { digestArgs } from '@agentguard/attestation';
import { canonicalBytes } from '@agentguard/statement';
import { markStop } from './timeout.js';

/** What a tool's run gives back: the digest of its result, its size against a cap, a denial's cause. */

/** The digest of a tool's result as `call.completed` records it, or null when there is none or it is not JSON. */
export function resultDigest(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return digestArgs(value);
  } catch {
    return null;
  }
}

/** `outcome` with `cause` attached off its JSON shape. */
export function withCause<T extends object>(outcome: T, cause: unknown): T {
  // Kept off the JSON shape (non-enumerable) so the denial a model sees never holds a stack.
  Object.defineProperty(outcome, 'cause', { value: cause, enumerable: false });
  return outcome;
}

/** Throws a `too-large` stop when `value` is over the policy's `maxResultBytes` (or cannot be sized). */
export function checkResultSize(value: unknown, maxBytes: number): void {
  if (value === undefined) return;
  let size: number;
  try {
    // Canonical JSON, not JSON.stringify: a toJSON method, a Map or a getter could show the cap one size and
    // the framework another. A result that is not plain JSON cannot be bounded, so a capped call refuses it.
    size = canonicalBytes(value).length;
  } catch {
    throw markStop(
      new Error(`result is not plain JSON, so its size cannot be held to the policy's cap of ${maxBytes} bytes`),
      'too-large',
    );
  }
  if (size > maxBytes) {
    throw markStop(new Error(`result of ${size} bytes is over the policy's cap of ${maxBytes}`), 'too-large');
  }
}
