import { connect, type Socket } from 'node:net';

/**
 * Redis is a doorbell only: a message on the channel says "a new status is out", and the listener fetches
 * and verifies the status document from its source. Nothing read from Redis is trusted or even parsed
 * beyond the RESP framing, so a process that can publish on the channel (the agent, say) can at most make
 * guards fetch early. Authority comes from the operator's signature on the document.
 */

/** Where the doorbell rings: a `redis://host:port` URL (no TLS, no auth in this minimal client) and a channel. */
export interface DoorbellOptions {
  /** `redis://host:port`. */
  readonly url: string;
  /**
   * The Redis pub/sub channel.
   * @default 'agentguard:control'
   */
  readonly channel?: string;
}

/** The default Redis pub/sub channel of control doorbells. */
export const DEFAULT_DOORBELL_CHANNEL = 'agentguard:control';

function encode(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** @internal Host and port of a `redis://` URL. */
export function redisAddress(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`"url" expected redis://host:port, got ${JSON.stringify(String(url).slice(0, 64))}`);
  }
  if (parsed.protocol !== 'redis:' || parsed.hostname === '') {
    throw new TypeError(`"url" expected redis://host:port, got ${JSON.stringify(url.slice(0, 64))}`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return { host, port: parsed.port === '' ? 6379 : Number(parsed.port) };
}

/** A running doorbell subscription. */
export interface Doorbell {
  /** Whether the subscription is up (subscribed, connection open). */
  connected(): boolean;
  close(): void;
}

/**
 * Subscribes to the doorbell channel and calls `ring` for every message (and on each (re)connection, since
 * messages sent while disconnected are lost). Reconnects with a backoff of 100 ms doubling to 2 s.
 * @internal
 */
export function listenDoorbell(options: DoorbellOptions, ring: () => void): Doorbell {
  const { host, port } = redisAddress(options.url);
  const channel = options.channel ?? DEFAULT_DOORBELL_CHANNEL;
  let socket: Socket | undefined;
  let up = false;
  let closed = false;
  let backoff = 100;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function open(): void {
    if (closed) return;
    const s = connect({ host, port });
    socket = s;
    s.setNoDelay(true);
    let subscribed = false;
    let pending = 0;
    s.on('connect', () => {
      s.write(encode(['SUBSCRIBE', channel]));
    });
    s.on('data', (chunk: Buffer) => {
      if (!subscribed) {
        // The first reply must be the subscription's acknowledgement (`*3 $9 subscribe …`): from then on nothing is
        // missed. Anything else (`-NOAUTH`, an error, another protocol) is no subscription: drop and retry later.
        if (!chunk.subarray(0, 64).toString('latin1').toLowerCase().startsWith('*3\r\n$9\r\nsubscribe')) {
          s.destroy();
          return;
        }
        subscribed = true;
        up = true;
        backoff = 100;
        ring();
        return;
      }
      // Every later push is a message; its content is not read (see the module comment). Rings are
      // coalesced per chunk: the listener fetches the whole current status anyway.
      if (chunk.length > 0 && pending === 0) {
        pending++;
        queueMicrotask(() => {
          pending = 0;
          ring();
        });
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      up = false;
      socket = undefined;
      if (closed) return;
      timer = setTimeout(open, backoff);
      timer.unref?.();
      backoff = Math.min(backoff * 2, 2_000);
    });
  }
  open();
  return Object.freeze({
    connected: () => up,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      socket?.destroy();
    },
  });
}

/**
 * Rings the doorbell: publishes `seq` on the channel. Resolves to how many subscribers received it.
 *
 * @param options - the Redis URL and channel.
 * @param seq - the sequence number of the status just written (informative only).
 * @param timeoutMs - how long to wait for Redis. @default 2_000
 * @throws Error when Redis cannot be reached in time or answers with an error.
 * @example
 * ```ts
 * await ringDoorbell({ url: 'redis://127.0.0.1:6379' }, 7);
 * ```
 */
export function ringDoorbell(options: DoorbellOptions, seq: number, timeoutMs = 2_000): Promise<number> {
  const { host, port } = redisAddress(options.url);
  const channel = options.channel ?? DEFAULT_DOORBELL_CHANNEL;
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let buffer = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`redis at ${host}:${port} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.write(encode(['PUBLISH', channel, String(seq)])));
    s.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      s.destroy();
      const line = buffer.slice(0, end);
      if (line.startsWith(':')) resolve(Number(line.slice(1)));
      else reject(new Error(`redis refused PUBLISH: ${line.slice(0, 200)}`));
    });
    s.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
