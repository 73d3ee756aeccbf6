/**
 * A minimal Redis client speaking RESP2 over `node:net`: commands are
 * pipelined on one connection and replies matched in order. Enough for the
 * Redis state store; not a general-purpose client.
 */
import { connect, type Socket } from 'node:net';
import { PolicyError } from '../errors.js';

/** A decoded RESP reply. Errors are thrown, not returned. */
export type RespValue = string | number | null | RespValue[];

interface Pending {
  readonly resolve: (value: RespValue) => void;
  readonly reject: (error: Error) => void;
}

const CRLF = Buffer.from('\r\n');
const INCOMPLETE = Symbol('incomplete');

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

class RespError extends Error {}

/** Parses one reply at `offset`; returns it and the next offset, or INCOMPLETE. */
export function parseReply(buf: Buffer, offset: number): [RespValue | RespError, number] | typeof INCOMPLETE {
  const end = buf.indexOf(CRLF, offset);
  if (end < 0) return INCOMPLETE;
  const type = String.fromCharCode(buf[offset] as number);
  const line = buf.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return INCOMPLETE;
      return [buf.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const r = parseReply(buf, at);
        if (r === INCOMPLETE) return INCOMPLETE;
        if (r[0] instanceof RespError) return [r[0], r[1]];
        items.push(r[0]);
        at = r[1];
      }
      return [items, at];
    }
    default:
      throw new PolicyError('ERR_POLICY_STATE_STORE', `redis: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** A connected client. */
export interface RespClient {
  /** False once the connection is closed or broken; it never reopens (make a new client). */
  readonly alive: boolean;
  command(args: readonly (string | number)[]): Promise<RespValue>;
  close(): Promise<void>;
}

/** Options of {@link connectResp}. */
export interface RespConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** Opens a connection; resolves once the socket is connected. */
export function connectResp(options: RespConnectOptions): Promise<RespClient> {
  return new Promise((resolveConnect, rejectConnect) => {
    const socket: Socket = connect({ host: options.host, port: options.port });
    const pending: Pending[] = [];
    let buffer: Buffer = Buffer.alloc(0);
    let closed = false;
    let connected = false;
    const fail = (error: Error) => {
      closed = true;
      for (const p of pending.splice(0)) p.reject(error);
      if (!connected) rejectConnect(error);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new PolicyError('ERR_POLICY_STATE_STORE', `redis: connect to ${options.host}:${options.port} timed out`));
    }, options.connectTimeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      clearTimeout(timer);
      connected = true;
      resolveConnect(client);
    });
    socket.on('error', (cause) => {
      clearTimeout(timer);
      fail(new PolicyError('ERR_POLICY_STATE_STORE', `redis: ${cause.message}`, { cause }));
    });
    socket.on('close', () => fail(new PolicyError('ERR_POLICY_STATE_STORE', 'redis: connection closed')));
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let offset = 0;
      while (offset < buffer.length) {
        let r: ReturnType<typeof parseReply>;
        try {
          r = parseReply(buffer, offset);
        } catch (error) {
          socket.destroy();
          fail(error as Error);
          return;
        }
        if (r === INCOMPLETE) break;
        offset = r[1];
        const p = pending.shift();
        if (p === undefined) continue;
        if (r[0] instanceof RespError) p.reject(new PolicyError('ERR_POLICY_STATE_STORE', `redis: ${r[0].message}`));
        else p.resolve(r[0]);
      }
      buffer = buffer.subarray(offset);
    });
    const client: RespClient = {
      get alive() {
        return !closed;
      },
      command(args) {
        if (closed) return Promise.reject(new PolicyError('ERR_POLICY_STATE_STORE', 'redis: connection closed'));
        return new Promise<RespValue>((resolve, reject) => {
          const t = setTimeout(() => {
            // A reply that never comes leaves the pipeline out of step: drop the connection.
            socket.destroy();
            fail(new PolicyError('ERR_POLICY_STATE_STORE', `redis: no reply within ${options.commandTimeoutMs} ms`));
          }, options.commandTimeoutMs);
          pending.push({
            resolve: (v) => {
              clearTimeout(t);
              resolve(v);
            },
            reject: (e) => {
              clearTimeout(t);
              reject(e);
            },
          });
          socket.write(encodeCommand(args));
        });
      },
      async close() {
        if (closed) return;
        await client.command(['QUIT']).catch(() => undefined);
        closed = true;
        socket.destroy();
      },
    };
  });
}
