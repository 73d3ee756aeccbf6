/**
 * The signer process side: holds a key, answers `info` and signs only what
 * `authorize` allows. Node only (`@agentguard/identity/node`).
 */
import { chmod } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { toBase64Url } from '@agentguard/statement';
import { asIdentityError } from '../statement-errors.js';
import type { Signer } from '../key/identity.js';
import {
  createFrameDecoder,
  DEFAULT_MAX_FRAME,
  encodeFrame,
  MAX_PENDING_REQUESTS,
  MAX_REASON_CHARS,
  parseRequest,
  type SignRequest,
  type SignVerdict,
} from './protocol.js';

/** Options of {@link serveSigner} and {@link listenSigner}. */
export interface ServeSignerOptions {
  /** The key to sign with; it stays in this process. */
  readonly identity: Signer;
  /**
   * Decides each request; only `true` (or `{ allow: true }`) signs. Throwing or rejecting denies
   * (fail closed); a {@link SignVerdict} with `allow: false` denies with its reason.
   * Decide on `request.message` (the bytes signed), never on `request.context` alone.
   */
  readonly authorize: (request: SignRequest) => boolean | SignVerdict | Promise<boolean | SignVerdict>;
  /** Largest frame, bytes. @default 262_144 */
  readonly maxFrameBytes?: number;
  /** Called after each decision, for audit. @default none */
  readonly onDecision?: (event: {
    readonly allowed: boolean;
    readonly bytes: number;
    readonly reason?: string;
  }) => void;
}

/** A running signer endpoint. */
export interface SignerServer {
  /** Resolves when the endpoint has stopped. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

function check(options: ServeSignerOptions): void {
  if (typeof options?.identity?.sign !== 'function') throw new TypeError('"identity" expected a Signer');
  if (typeof options.authorize !== 'function') throw new TypeError('"authorize" expected a function');
}

function bounded(reason: string): string {
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}

/** Runs `authorize` fail-closed: only a literal `true` or `{ allow: true }` allows. */
async function decide(options: ServeSignerOptions, view: SignRequest): Promise<{ allowed: boolean; reason?: string }> {
  try {
    const verdict = await options.authorize(view);
    if (verdict === true) return { allowed: true };
    if (typeof verdict === 'object' && verdict !== null) {
      if (verdict.allow === true) return { allowed: true };
      return typeof verdict.reason === 'string'
        ? { allowed: false, reason: bounded(verdict.reason) }
        : { allowed: false };
    }
    return { allowed: false };
  } catch (error) {
    return { allowed: false, reason: bounded(`authorize failed: ${(error as Error)?.message ?? String(error)}`) };
  }
}

/**
 * Serves one connection (a pair of streams) until it ends; requests are answered in order.
 * A client that pipelines more than {@link MAX_PENDING_REQUESTS} unanswered requests, or breaks the
 * framing, is answered once and hung up on. Stream errors (a client gone, EPIPE) end the connection,
 * never the process.
 */
function serveConnection(input: Readable, output: Writable, options: ServeSignerOptions): Promise<void> {
  const maxFrame = options.maxFrameBytes ?? DEFAULT_MAX_FRAME;
  const decode = createFrameDecoder(maxFrame);
  const { identity } = options;
  let queue = Promise.resolve();
  let pending = 0;
  let stopped = false;
  const send = (value: unknown) => {
    if (stopped || output.writableEnded || output.destroyed) return;
    output.write(encodeFrame(value, maxFrame));
  };
  return new Promise<void>((resolve) => {
    const stop = () => {
      if (stopped) return;
      stopped = true;
      input.off('data', onData);
      resolve();
    };
    const hangUp = (reason: string) => {
      send({ v: 1, id: 0, ok: false, code: 'ERR_IDENTITY_SIGNER_PROTOCOL', reason: bounded(reason) });
      if (!output.writableEnded && !output.destroyed) output.end();
      stop();
    };
    const onData = (chunk: Uint8Array) => {
      let values: unknown[];
      try {
        values = decode(chunk);
      } catch (error) {
        // A broken frame stream cannot be resynchronised: answer once and hang up.
        hangUp((error as Error).message);
        return;
      }
      if (pending + values.length > MAX_PENDING_REQUESTS) {
        hangUp(`more than ${MAX_PENDING_REQUESTS} requests waiting for an answer`);
        return;
      }
      for (const value of values) {
        pending++;
        queue = queue
          .then(() => handle(value))
          .finally(() => {
            pending--;
          });
      }
    };
    const handle = async (value: unknown): Promise<void> => {
      if (stopped) return;
      let id = 0;
      try {
        const request = parseRequest(value);
        id = request.id;
        if (request.op === 'info') {
          send({
            v: 1,
            id,
            ok: true,
            did: identity.id,
            kid: identity.keyId,
            publicKey: toBase64Url(identity.publicKey),
          });
          return;
        }
        const view: SignRequest =
          request.context === undefined
            ? { message: request.message.slice() }
            : { message: request.message.slice(), context: request.context };
        const { allowed, reason } = await decide(options, view);
        try {
          options.onDecision?.(
            reason === undefined
              ? { allowed, bytes: request.message.length }
              : { allowed, bytes: request.message.length, reason },
          );
        } catch {
          // An observer that throws changes nothing.
        }
        if (!allowed) {
          send({
            v: 1,
            id,
            ok: false,
            code: 'ERR_IDENTITY_SIGNER_DENIED',
            reason: reason ?? 'the signer policy denies this request',
          });
          return;
        }
        send({ v: 1, id, ok: true, signature: toBase64Url(await identity.sign(request.message)) });
      } catch (error) {
        const code = asIdentityError(error)?.code ?? 'ERR_IDENTITY_SIGNER_PROTOCOL';
        send({ v: 1, id, ok: false, code, reason: bounded((error as Error)?.message ?? String(error)) });
      }
    };
    input.on('data', onData);
    input.once('end', stop);
    input.once('close', stop);
    input.on('error', stop);
    output.on('error', stop);
  });
}

/**
 * Serves the signer protocol over a pair of streams (by default this process's stdin/stdout).
 *
 * @example
 * ```ts
 * // signer.ts, run as a separate process that alone can read the key file:
 * const identity = await loadKeyFile('agent.jwk');
 * serveSigner({ identity, authorize: ({ message }) => policyAllows(message) });
 * ```
 */
export function serveSigner(
  options: ServeSignerOptions & { readonly input?: Readable; readonly output?: Writable },
): SignerServer {
  check(options);
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const closed = serveConnection(input, output, options);
  return {
    closed,
    close: async () => {
      input.destroy();
      await closed;
    },
  };
}

/**
 * Listens on a Unix socket at `path` (mode 0600), serving each connection.
 * @returns once listening.
 */
export async function listenSigner(options: ServeSignerOptions & { readonly path: string }): Promise<SignerServer> {
  check(options);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    void serveConnection(socket, socket, options).then(() => socket.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.path, () => resolve());
  });
  // Only this user may connect. (Between listen and chmod the socket exists with the umask's mode;
  // put it in a 0700 directory to close that window.)
  await chmod(options.path, 0o600);
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    closed,
    close: async () => {
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
