import { type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Hop-by-hop and proxy headers (RFC 9110 §7.6.1): they describe one connection, never the next one. */
export const HOP_BY_HOP = /^(proxy-|connection$|keep-alive$|transfer-encoding$|upgrade$|te$|trailer$)/;

/** A copy of `from` without the headers `drop` matches. */
export function copyHeaders(from: IncomingHttpHeaders, drop: RegExp): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined && !drop.test(k)) out[k] = v;
  return out;
}

/** How a forwarded request ended, with the body bytes each way. */
export interface Forwarded {
  /** What stopped the exchange before the answer ended (the tool then gets a 502 if nothing was sent yet). */
  readonly error?: Error;
  /** Set when the tool left before the answer ended: the request went out, the answer was cut short. */
  readonly toolClosed?: boolean;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * The headers that frame the request body upstream. Node parsed the tool's body by its own framing (a
 * `Transfer-Encoding` or a `Content-Length`), and the hop-by-hop `Transfer-Encoding` is not copied: without
 * explicit framing Node writes a GET, HEAD, DELETE or OPTIONS body raw, which the server reads as a second
 * request on the broker's connection. So a body always goes with its length, or chunked.
 */
function framing(req: IncomingMessage, headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    const n = k.toLowerCase();
    if (n !== 'content-length' && n !== 'transfer-encoding') out[k] = v;
  }
  if (req.headers['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  else if (req.headers['content-length'] !== undefined) out['content-length'] = req.headers['content-length'];
  return out;
}

/**
 * Sends the tool's request on over `connection()` with `headers` (its body framed explicitly), streams the
 * answer back without its hop-by-hop headers, and calls `done` exactly once, whichever way the exchange ends:
 * the answer ended; an error stopped it (the tool then gets a 502 if nothing was sent yet); the upstream
 * cut the answer short; or the tool left before it ended (`toolClosed`).
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  o: {
    readonly path: string;
    readonly headers: Record<string, string | string[]>;
    readonly connection: () => Duplex;
    readonly done: (outcome: Forwarded) => Record<string, string> | undefined;
  },
): void {
  let bytesIn = 0;
  let bytesOut = 0;
  let settled = false;
  const settle = (outcome: { error?: Error; toolClosed?: boolean }) => {
    if (settled) return undefined;
    settled = true;
    return o.done({ ...outcome, bytesIn, bytesOut }) ?? {};
  };
  const up = request({
    method: req.method,
    path: o.path,
    headers: framing(req, o.headers),
    setHost: false,
    createConnection: o.connection,
  });
  req.on('data', (c: Buffer) => {
    bytesOut += c.length;
  });
  up.on('response', (r) => {
    res.writeHead(r.statusCode ?? 502, copyHeaders(r.headers, HOP_BY_HOP));
    r.on('data', (c: Buffer) => {
      bytesIn += c.length;
    });
    r.pipe(res);
    r.once('end', () => settle({}));
    // An answer the upstream cuts short (a reset mid-body) ends with 'close' and no 'end'.
    r.once('error', () => {});
    r.once('close', () => {
      if (settled) return;
      settle({ error: Object.assign(new Error('the upstream answer ended early'), { code: 'ECONNRESET' }) });
      res.destroy();
    });
  });
  up.on('error', (error) => {
    const extra = settle({ error });
    if (extra === undefined) return;
    if (!res.headersSent) res.writeHead(502, { ...extra, connection: 'close' });
    res.end();
  });
  // The tool left (or its socket failed) before the answer ended: the upstream exchange is abandoned.
  res.once('close', () => {
    if (settled) return;
    settle({ toolClosed: true });
    up.destroy();
  });
  req.pipe(up);
}
