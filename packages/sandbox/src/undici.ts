import type { Socket } from 'node:net';
import { SandboxError } from './errors.js';

/** The part of undici's `Dispatcher` this package relies on; `fetch(url, { dispatcher })` accepts it. */
export interface FetchDispatcher {
  dispatch(options: object, handler: object): boolean;
  close(): Promise<void>;
}

/** What undici's `connect` option receives for each new connection. */
export interface UndiciConnectOptions {
  readonly hostname: string;
  readonly port: string;
  readonly protocol: string;
  readonly servername?: string | null;
}

/** undici's `Agent` constructor, as far as this package uses it: a custom `connect` function. */
export type UndiciAgentClass = new (options: {
  connect: (options: UndiciConnectOptions, callback: (error: Error | null, socket: Socket | null) => void) => void;
}) => FetchDispatcher;

// undici (Node's fetch) and the `undici` npm package share the global dispatcher under this registered symbol.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * The undici `Agent` class bundled in Node, with no dependency: Node does not export it, but the global
 * dispatcher fetch creates on first use is an instance of it. A `data:` fetch (no network) makes Node create
 * it, synchronously. Tested on Node 20 and 24.
 *
 * @throws SandboxError `ERR_SANDBOX_UNAVAILABLE` when the global dispatcher is not a plain undici Agent
 *   (replaced by the application); pass `undiciAgent` from the `undici` package then.
 */
export function bundledUndiciAgent(): UndiciAgentClass {
  const holder = globalThis as unknown as Record<symbol, unknown>;
  if (holder[GLOBAL_DISPATCHER] === undefined && typeof fetch === 'function') {
    fetch('data:,').then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
  }
  const ctor = (holder[GLOBAL_DISPATCHER] as { constructor?: unknown } | undefined)?.constructor;
  if (typeof ctor !== 'function' || ctor.name !== 'Agent' || typeof ctor.prototype?.dispatch !== 'function') {
    throw new SandboxError(
      'ERR_SANDBOX_UNAVAILABLE',
      "cannot find undici's Agent behind fetch (the global dispatcher was replaced?): pass options.undiciAgent",
    );
  }
  return ctor as UndiciAgentClass;
}
