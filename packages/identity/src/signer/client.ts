/**
 * The agent side of the out-of-process signer: a {@link Signer} whose key lives
 * in another process. Node only (`@agentguard/identity/node`).
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { keyIdOf } from '../trust/anchors.js';
import { fromBase64Url, toBase64Url, type JsonValue } from '@agentguard/statement';
import { type DidKey, publicKeyToDid } from '../key/did-key.js';
import { verify } from '../ed25519/ed25519.js';
import { IdentityError, type IdentityErrorCode } from '../errors.js';
import { asIdentityError } from '../statement-errors.js';
import type { Signer } from '../key/identity.js';
import { createFrameDecoder, DEFAULT_MAX_FRAME, encodeFrame } from './protocol.js';

/** Where the signer is: a Unix socket, a command to spawn (stdio), or a pair of streams. */
export type SignerEndpoint =
  | { readonly path: string }
  | { readonly command: string; readonly args?: readonly string[]; readonly cwd?: string }
  | { readonly input: Readable; readonly output: Writable };

/** Options of {@link connectSigner}. */
export interface ConnectSignerOptions {
  /**
   * The did:key the signer must hold. Pin it: otherwise whoever answers on the endpoint chooses the key.
   * @default not pinned
   */
  readonly expect?: DidKey;
  /** Per-request timeout, ms. @default 10_000 */
  readonly timeoutMs?: number;
  /** Largest frame, bytes. @default 262_144 */
  readonly maxFrameBytes?: number;
}

/** A {@link Signer} backed by a signer process. */
export interface RemoteSigner extends Signer {
  /** Signs `message`, passing optional `context` (informative only) to the signer's policy. */
  sign(message: Uint8Array, context?: JsonValue): Promise<Uint8Array>;
  /** Closes the connection (and ends a spawned process's stdin). */
  close(): Promise<void>;
}

function fail(code: IdentityErrorCode, message: string): IdentityError {
  return new IdentityError(code, message);
}

/**
 * Connects to a signer process and returns a {@link Signer}. Every signature it
 * returns is verified against the signer's public key before being handed out.
 *
 * @throws IdentityError `ERR_IDENTITY_SIGNER_UNAVAILABLE` (cannot connect, timeout, closed),
 *   `ERR_IDENTITY_SIGNER_PROTOCOL` (bad answers), `ERR_IDENTITY_KEY_INVALID` (not the expected key);
 *   `sign` rejects with `ERR_IDENTITY_SIGNER_DENIED` when the signer's policy refuses.
 * @example
 * ```ts
 * const signer = await connectSigner({ path: '/run/agentguard/signer.sock' }, { expect: 'did:key:z6Mk…' });
 * const guard = createGuard({ identity: signer, policy, audit });
 * ```
 */
export async function connectSigner(
  endpoint: SignerEndpoint,
  options: ConnectSignerOptions = {},
): Promise<RemoteSigner> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxFrame = options.maxFrameBytes ?? DEFAULT_MAX_FRAME;
  let input: Readable;
  let output: Writable;
  let cleanup: () => void;
  if ('path' in endpoint) {
    const socket = connect(endpoint.path);
    input = socket;
    output = socket;
    cleanup = () => socket.destroy();
  } else if ('command' in endpoint) {
    const child = spawn(endpoint.command, [...(endpoint.args ?? [])], {
      stdio: ['pipe', 'pipe', 'inherit'],
      ...(endpoint.cwd === undefined ? {} : { cwd: endpoint.cwd }),
    });
    input = child.stdout;
    output = child.stdin;
    // A command that cannot be spawned (ENOENT, EACCES) is an unavailable signer, not an uncaught error.
    child.once('error', (e) =>
      breakAll(fail('ERR_IDENTITY_SIGNER_UNAVAILABLE', `signer process failed: ${e.message}`)),
    );
    cleanup = () => {
      child.stdin.end();
    };
  } else {
    input = endpoint.input;
    output = endpoint.output;
    cleanup = () => output.end();
  }
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  // Ids given up on (timed out): their late answers are dropped rather than breaking the connection.
  const abandoned = new Set<number>();
  let nextId = 1;
  let broken: Error | undefined;
  function breakAll(error: Error): void {
    broken ??= error;
    for (const p of pending.values()) p.reject(broken);
    pending.clear();
  }
  const decode = createFrameDecoder(maxFrame);
  input.on('data', (chunk: Uint8Array) => {
    try {
      for (const value of decode(chunk)) {
        const r = value as Record<string, unknown>;
        const waiter = typeof r === 'object' && r !== null ? pending.get(r.id as number) : undefined;
        if (waiter === undefined && typeof r === 'object' && r !== null && abandoned.delete(r.id as number)) continue;
        if (waiter === undefined) throw fail('ERR_IDENTITY_SIGNER_PROTOCOL', 'response to no request');
        pending.delete(r.id as number);
        waiter.resolve(r);
      }
    } catch (error) {
      breakAll(asIdentityError(error) ?? fail('ERR_IDENTITY_SIGNER_PROTOCOL', String(error)));
      cleanup();
    }
  });
  const closedError = () => fail('ERR_IDENTITY_SIGNER_UNAVAILABLE', 'the signer connection closed');
  input.once('close', () => breakAll(closedError()));
  input.on('error', (e) => breakAll(fail('ERR_IDENTITY_SIGNER_UNAVAILABLE', `signer connection failed: ${e.message}`)));
  output.on('error', (e) =>
    breakAll(fail('ERR_IDENTITY_SIGNER_UNAVAILABLE', `signer connection failed: ${e.message}`)),
  );

  const request = (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    if (broken !== undefined) return Promise.reject(broken);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        if (abandoned.size < 1024) abandoned.add(id);
        reject(fail('ERR_IDENTITY_SIGNER_UNAVAILABLE', `signer did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      output.write(encodeFrame({ v: 1, id, ...body }, maxFrame));
    });
  };

  const info = await request({ op: 'info' });
  let publicKey: Uint8Array;
  try {
    if (info.ok !== true) throw new Error(String(info.reason));
    publicKey = fromBase64Url(info.publicKey as string);
  } catch (error) {
    cleanup();
    throw fail('ERR_IDENTITY_SIGNER_PROTOCOL', `signer info failed: ${(error as Error).message}`);
  }
  const id = publicKeyToDid(publicKey);
  if (info.did !== id || (options.expect !== undefined && options.expect !== id)) {
    cleanup();
    throw fail('ERR_IDENTITY_KEY_INVALID', `signer holds ${String(info.did)}, expected ${options.expect ?? id}`);
  }
  return Object.freeze({
    id,
    keyId: keyIdOf(id),
    get publicKey() {
      return publicKey.slice();
    },
    async sign(message: Uint8Array, context?: JsonValue): Promise<Uint8Array> {
      if (!(message instanceof Uint8Array)) throw new TypeError('"message" expected Uint8Array');
      const copy = message.slice();
      const body: Record<string, unknown> = { op: 'sign', message: toBase64Url(copy) };
      if (context !== undefined) body.context = context;
      const r = await request(body);
      if (r.ok !== true) {
        const code =
          r.code === 'ERR_IDENTITY_SIGNER_DENIED' ? 'ERR_IDENTITY_SIGNER_DENIED' : 'ERR_IDENTITY_SIGNER_PROTOCOL';
        throw fail(code, `signer refused: ${String(r.reason)}`);
      }
      let signature: Uint8Array;
      try {
        signature = fromBase64Url(r.signature as string);
      } catch {
        throw fail('ERR_IDENTITY_SIGNER_PROTOCOL', 'signer returned a malformed signature');
      }
      if (!verify(signature, copy, publicKey))
        throw fail('ERR_IDENTITY_SIGNER_PROTOCOL', 'signer returned a signature that does not verify');
      return signature;
    },
    async close(): Promise<void> {
      cleanup();
    },
  });
}
