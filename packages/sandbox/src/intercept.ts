import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type SecureContext, connect as tlsConnect, TLSSocket } from 'node:tls';
import type { EgressRecord } from './broker.js';
import { copyHeaders, forward, HOP_BY_HOP } from './forward.js';
import type { InterceptCa } from './intercept-ca.js';

/** TLS settings of the broker's own connections to the hosts it injects credentials into. */
export interface UpstreamTls {
  /**
   * Certificates (PEM) to trust for those hosts, in place of Node's bundled roots (a private CA, a test's
   * throwaway one). The server's certificate is always verified, for the requested host name.
   * @default Node's bundled root certificates
   */
  readonly ca?: string | readonly string[];
}

/**
 * Validates and freezes {@link UpstreamTls}.
 * @throws TypeError when `ca` is not PEM text (one certificate or a list).
 */
export function normaliseUpstreamTls(value: unknown): UpstreamTls {
  if (value === undefined) return Object.freeze({});
  const ca = (value as { ca?: unknown } | null)?.ca;
  const pems = ca === undefined ? [] : [ca].flat();
  if (
    typeof value !== 'object' ||
    value === null ||
    !pems.every((p) => typeof p === 'string' && p.includes('-----BEGIN CERTIFICATE-----'))
  ) {
    throw new TypeError(`"tls.ca" expected PEM certificates, got ${typeof ca}`);
  }
  return Object.freeze(ca === undefined ? {} : { ca: Object.freeze([...(pems as string[])]) });
}

/** One CONNECT the broker terminates: admitted, pinned, with the headers to inject. */
export interface InterceptedTunnel {
  readonly client: Duplex;
  readonly head: Buffer;
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly inject: Readonly<Record<string, string>>;
}

type Record_ = (r: Omit<EgressRecord, 'tool' | 'callId'>) => void;

/** An error's code (or message), short, for a record's detail. */
const codeOf = (e: unknown): string => String((e as { code?: unknown })?.code ?? (e as Error)?.message).slice(0, 120);

/** Whether a failed TLS connection failed on the server's certificate (rather than the network). */
function untrusted(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? '');
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/.test(code);
}

/** Request headers the broker never forwards: hop-by-hop and proxy headers, and Host (the tunnel's target is). */
const DROPPED = new RegExp(`${HOP_BY_HOP.source}|^host$`);
/** How long the broker waits for the server's TLS handshake before refusing the tunnel. */
const HANDSHAKE_MS = 30_000;

/**
 * Limits of one terminated tunnel. The inner HTTP server is never `listen()`ed, so Node's own
 * `headersTimeout` and `requestTimeout` checks never run for it: these timers stand in for them.
 */
export interface TunnelLimits {
  /** The tool's TLS handshake must finish within this. @default 30 s */
  readonly toolHandshakeMs: number;
  /** Each request's headers must arrive within this (from the handshake, or the previous answer). @default 60 s */
  readonly headersMs: number;
  /** A tunnel with no traffic either way is closed after this. @default 300 s */
  readonly idleMs: number;
  /** At most this many upstream connections at once per tunnel (pipelined requests beyond get a 503). @default 8 */
  readonly maxUpstream: number;
}

const LIMITS: TunnelLimits = Object.freeze({
  toolHandshakeMs: 30_000,
  headersMs: 60_000,
  idleMs: 300_000,
  maxUpstream: 8,
});

/**
 * Returns the handler of tunnels to hosts with `inject`: the broker answers the tool's TLS with a
 * certificate from its own CA, reads each HTTP request, adds the injected headers and sends it on over its
 * own TLS connection to the pinned address, verified for the requested host. The upstream connection is
 * made and verified before the tunnel is granted, so a host that cannot prove its name gets nothing.
 */
export function createInterceptor(options: {
  readonly ca: InterceptCa;
  readonly connect: (address: string, port: number) => Socket;
  readonly tls: UpstreamTls;
  readonly limits?: Partial<TunnelLimits>;
}): (tunnel: InterceptedTunnel, record: Record_) => void {
  const limits: TunnelLimits = { ...LIMITS, ...options.limits };
  const ca = options.tls.ca === undefined ? undefined : [options.tls.ca].flat();

  function upstream(t: InterceptedTunnel): TLSSocket {
    return tlsConnect({
      socket: options.connect(t.address, t.port),
      host: t.host, // certificate checks use the requested name, not the pinned address
      ...(isIP(t.host) === 0 ? { servername: t.host } : {}),
      ...(ca === undefined ? {} : { ca }),
      ALPNProtocols: ['http/1.1'],
    });
  }

  return (t, record) => {
    const { client } = t;
    const where = { kind: 'https', host: t.host, port: t.port, address: t.address } as const;
    const fail = (reason: 'upstream-failed' | 'upstream-untrusted', detail: string) => {
      record({ ...where, allowed: false, reason, detail, bytesIn: 0, bytesOut: 0 });
    };
    let first: TLSSocket;
    try {
      first = upstream(t);
    } catch {
      fail('upstream-failed', 'connect threw');
      client.end('HTTP/1.1 502 Bad Gateway\r\nx-agentguard-egress: upstream-failed\r\n\r\n');
      return;
    }
    // Upstream connections open on this tunnel (each leaves the set when it closes).
    const sockets = new Set<TLSSocket>([first]);
    first.once('close', () => sockets.delete(first));
    let granted = false;
    const refuseTunnel = (e: Error) => {
      if (granted) return;
      granted = true;
      const reason = untrusted(e) ? 'upstream-untrusted' : 'upstream-failed';
      fail(reason, codeOf(e));
      client.end(`HTTP/1.1 502 Bad Gateway\r\nx-agentguard-egress: ${reason}\r\n\r\n`);
      first.destroy();
    };
    first.once('error', refuseTunnel);
    first.on('error', () => {}); // after the first, errors are reported by the request on this socket
    // A server that accepts TCP but never completes the handshake must not hold the tunnel open for ever.
    first.setTimeout(HANDSHAKE_MS, () =>
      first.destroy(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' })),
    );
    const abandoned = () => {
      if (granted) return;
      granted = true; // settled: no 200 will follow
      first.destroy();
      fail('upstream-failed', 'the tool left before the server was verified');
    };
    client.once('error', abandoned);
    client.once('close', abandoned);
    client.once('end', abandoned); // the broker's sockets are half-open: the tool's FIN alone is no close
    // Read while the server is verified, so that a tool that leaves is seen ('end' needs a flowing stream);
    // whatever it sent early is handed to the TLS server below, as the CONNECT's own head is.
    const early: Buffer[] = t.head.length > 0 ? [t.head] : [];
    const keep = (c: Buffer) => early.push(c);
    client.on('data', keep);
    if (client.destroyed) abandoned(); // it left while its destination was being admitted
    first.once('secureConnect', () => {
      if (granted) return;
      granted = true;
      first.setTimeout(0);
      first.off('error', refuseTunnel);
      let spare: TLSSocket | undefined = first;
      let served = 0;
      let context: SecureContext;
      try {
        context = options.ca.contextFor(t.host);
      } catch (e) {
        fail('upstream-failed', `no certificate for the host: ${String((e as Error)?.message).slice(0, 80)}`);
        client.end('HTTP/1.1 502 Bad Gateway\r\nx-agentguard-egress: upstream-failed\r\n\r\n');
        first.destroy();
        return;
      }
      client.off('data', keep);
      client.pause();
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (early.length > 0) client.unshift(Buffer.concat(early));
      const tool = new TLSSocket(client as Socket, {
        isServer: true,
        secureContext: context,
        ALPNProtocols: ['http/1.1'],
      });
      tool.on('error', () => tool.destroy());
      // A tool that never finishes its handshake, or never finishes a request's headers, must not hold the
      // tunnel (and its pinned upstream) open for ever.
      let headersTimer: NodeJS.Timeout | undefined;
      const expectHeaders = (ms: number) => {
        clearTimeout(headersTimer);
        headersTimer = setTimeout(() => tool.destroy(), ms);
        headersTimer.unref();
      };
      expectHeaders(limits.toolHandshakeMs);
      tool.once('secure', () => expectHeaders(limits.headersMs));
      tool.setTimeout(limits.idleMs, () => tool.destroy());
      tool.once('close', () => {
        clearTimeout(headersTimer);
        for (const s of sockets) s.destroy();
        client.destroy();
        if (served === 0) {
          record({ ...where, allowed: true, bytesIn: 0, bytesOut: 0 });
        }
      });
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        served++;
        clearTimeout(headersTimer);
        // The next request's headers are due once this answer is out (keep-alive).
        res.once('finish', () => {
          if (!tool.destroyed) expectHeaders(limits.headersMs);
        });
        const path = req.url ?? '';
        if (!path.startsWith('/')) {
          record({
            ...where,
            allowed: false,
            reason: 'bad-host',
            detail: 'request target not in origin form',
            bytesIn: 0,
            bytesOut: 0,
          });
          res.writeHead(400, { connection: 'close' }).end();
          return;
        }
        const name = t.host.includes(':') ? `[${t.host}]` : t.host;
        const headers = {
          ...copyHeaders(req.headers, DROPPED),
          host: t.port === 443 ? name : `${name}:${t.port}`,
          ...t.inject,
        };
        if (spare === undefined && sockets.size >= limits.maxUpstream) {
          // Pipelined requests would each open an upstream connection: at most maxUpstream at once.
          record({
            ...where,
            allowed: false,
            reason: 'upstream-failed',
            detail: `more than ${limits.maxUpstream} concurrent requests on one tunnel`,
            bytesIn: 0,
            bytesOut: 0,
          });
          res.writeHead(503, { 'x-agentguard-egress': 'upstream-failed', connection: 'close' }).end();
          return;
        }
        let socket: TLSSocket;
        try {
          socket = spare ?? upstream(t);
        } catch {
          fail('upstream-failed', 'connect threw');
          res.writeHead(502, { connection: 'close' }).end();
          return;
        }
        spare = undefined;
        if (!socket.destroyed) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        }
        forward(req, res, {
          path,
          headers,
          connection: () => socket,
          done: ({ error, toolClosed, bytesIn, bytesOut }) => {
            if (error === undefined) {
              record({ ...where, allowed: true, ...(toolClosed ? { detail: 'tool-closed' } : {}), bytesIn, bytesOut });
              return undefined;
            }
            const reason = untrusted(error) ? 'upstream-untrusted' : 'upstream-failed';
            record({ ...where, allowed: false, reason, detail: codeOf(error), bytesIn, bytesOut });
            return { 'x-agentguard-egress': reason };
          },
        });
      });
      server.timeout = limits.idleMs;
      server.emit('connection', tool);
    });
  };
}
