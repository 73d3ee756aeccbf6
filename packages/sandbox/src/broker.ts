import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createAdmit, defaultResolve, type Resolve } from './admit.js';
import { createEgressChecker, type EgressChecker, type EgressPolicy, type EgressRefusal } from './egress-policy.js';
import { copyHeaders, forward, HOP_BY_HOP } from './forward.js';
import { createInterceptor, normaliseUpstreamTls, type UpstreamTls } from './intercept.js';
import { createInterceptCa } from './intercept-ca.js';

/** One connection attempt through the broker, as audited. */
export interface EgressRecord {
  readonly tool: string;
  readonly callId: string;
  /**
   * `connect`: a CONNECT tunnel, end to end. `http`: one plain-HTTP request. `https`: one HTTPS request the
   * broker terminated to inject credentials (or a terminated tunnel that carried none).
   */
  readonly kind: 'connect' | 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** The address the connection was pinned to (absent when refused before resolution). */
  readonly address?: string;
  readonly allowed: boolean;
  /**
   * `upstream-untrusted`: the server of a host with `inject` did not prove its name (certificate refused).
   * `inject-needs-tls`: a plain-HTTP request to a host with `inject`, refused (the credential goes over TLS only).
   */
  readonly reason?: EgressRefusal | 'upstream-failed' | 'upstream-untrusted' | 'inject-needs-tls';
  /** Why, in a few words (a refusal's detail, or `tool-closed` when the tool left before an answer ended). */
  readonly detail?: string;
  /** Bytes from the tool to the destination, and back. */
  readonly bytesOut: number;
  readonly bytesIn: number;
}

/** Options of {@link createEgressBroker}. */
export interface EgressBrokerOptions {
  /** The tool this broker serves (named in every record). */
  readonly tool: string;
  /** @default {} (no egress) */
  readonly policy?: EgressPolicy;
  /**
   * Resolves a host name to addresses; every one is checked and the first is pinned (no second lookup).
   * @default dns.promises.lookup(host, { all: true, verbatim: true })
   */
  readonly resolve?: Resolve;
  /**
   * Opens the upstream TCP connection to a checked address (inject a spy in tests).
   * @default net.connect({ host: address, port })
   */
  readonly connect?: (address: string, port: number) => Socket;
  /** Receives every connection record (allowed and refused). @default none */
  readonly onRecord?: (record: EgressRecord) => void;
  /** How the broker verifies the servers of hosts with `inject` (it connects to them itself). @default {} */
  readonly tls?: UpstreamTls;
}

/** A Unix socket one sandboxed process reaches the broker through. */
export interface BrokerEndpoint {
  /** The socket's path on the host. */
  readonly path: string;
  /** Names the call whose connections follow. */
  setCall(callId: string): void;
  close(): Promise<void>;
}

/** The parent-side egress broker: an HTTP proxy (CONNECT and plain HTTP) on per-process Unix sockets. */
export interface EgressBroker {
  readonly checker: EgressChecker;
  /**
   * The certificate (PEM) of the broker's own CA, which sandboxed processes trust so that the broker can
   * terminate TLS to hosts with `inject`; undefined when no rule injects. Its key never leaves the broker.
   */
  readonly caCertificate: string | undefined;
  /** Opens a new endpoint (one per sandboxed process, so connections are attributed to its call). */
  open(): Promise<BrokerEndpoint>;
  close(): Promise<void>;
}

/** Request headers never forwarded on plain HTTP: hop-by-hop and proxy headers, and Host (set from the target). */
const DROPPED = new RegExp(`${HOP_BY_HOP.source}|^host$`);

/** At most this many upstream connections at once per tool connection on the plain-HTTP path (pipelining). */
const MAX_UPSTREAM_PER_CONNECTION = 8;

/** An error's code (or message), short, for a record's detail. */
const codeOf = (e: unknown): string => String((e as { code?: unknown })?.code ?? (e as Error)?.message).slice(0, 120);

function splitHostPort(target: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.%a-zA-Z]+\]|[^:[\]/]+)(?::(\d{1,5}))?$/.exec(target);
  if (m === null || m[1] === undefined) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  return { host: m[1].startsWith('[') ? m[1].slice(1, -1) : m[1], port };
}

/**
 * Creates the egress broker for one tool: the only way out of a sandboxed tool. Host and port are
 * checked against the tool's allowlist, names are resolved here and every answer classified (private,
 * loopback, link-local, CGNAT, metadata, mapped, NAT64 and alternate notations refused), and the
 * connection is pinned to the checked address, so DNS rebinding cannot swap it.
 *
 * @example
 * ```ts
 * const broker = createEgressBroker({ tool: 'weather', policy: { allow: [{ host: 'api.weather.test' }] }, onRecord });
 * const endpoint = await broker.open(); // give endpoint.path to the sandboxed process
 * ```
 */
export function createEgressBroker(options: EgressBrokerOptions): EgressBroker {
  if (typeof options?.tool !== 'string' || options.tool === '') throw new TypeError('"tool" expected a tool name');
  const checker = createEgressChecker(options.policy ?? {});
  const resolve = options.resolve ?? defaultResolve;
  const connect = options.connect ?? ((address: string, port: number) => netConnect({ host: address, port }));
  const onRecord = options.onRecord ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-egress-'));
  const endpoints = new Set<BrokerEndpoint>();
  let counter = 0;

  const admit = createAdmit(checker, resolve);
  const tls = normaliseUpstreamTls(options.tls);
  // TLS is terminated only for hosts that inject credentials; every other tunnel stays end to end.
  const injects = (options.policy?.allow ?? []).some((r) => Object.keys(r.inject ?? {}).length > 0);
  const ca = injects ? createInterceptCa() : undefined;
  const intercept = ca === undefined ? undefined : createInterceptor({ ca, connect, tls });

  async function open(): Promise<BrokerEndpoint> {
    const path = join(dir, `e${++counter}.sock`);
    let callId = 'none';
    const record = (r: Omit<EgressRecord, 'tool' | 'callId'>) => {
      try {
        onRecord({ tool: options.tool, callId, ...r });
      } catch {
        // A failing record hook must not keep a connection open; the runner audits failures itself.
      }
    };
    const server = createServer();
    // Tunnelled sockets leave the HTTP server's bookkeeping: track them so close() ends them too.
    const tunnels = new Set<Duplex>();
    server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
      tunnels.add(client);
      client.once('close', () => tunnels.delete(client));
      const target = splitHostPort(req.url ?? '', 443);
      if (target === undefined) {
        record({
          kind: 'connect',
          host: String(req.url).slice(0, 64),
          port: 0,
          allowed: false,
          reason: 'bad-host',
          bytesIn: 0,
          bytesOut: 0,
        });
        client.end('HTTP/1.1 403 Forbidden\r\nx-agentguard-egress: bad-host\r\n\r\n');
        return;
      }
      void admit(target.host, target.port).then((v) => {
        if (!v.ok) {
          record({
            kind: 'connect',
            ...target,
            allowed: false,
            reason: v.reason,
            detail: v.detail,
            bytesIn: 0,
            bytesOut: 0,
          });
          client.end(`HTTP/1.1 403 Forbidden\r\nx-agentguard-egress: ${v.reason}\r\n\r\n`);
          return;
        }
        if (intercept !== undefined && Object.keys(v.inject).length > 0) {
          intercept({ client, head, ...target, address: v.address, inject: v.inject }, record);
          return;
        }
        let upstream: Socket;
        try {
          upstream = connect(v.address, target.port);
        } catch {
          record({
            kind: 'connect',
            ...target,
            address: v.address,
            allowed: false,
            reason: 'upstream-failed',
            bytesIn: 0,
            bytesOut: 0,
          });
          client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
          return;
        }
        let bytesOut = head.length;
        let bytesIn = 0;
        let done = false;
        const finish = (reason?: 'upstream-failed') => {
          if (done) return;
          done = true;
          record({
            kind: 'connect',
            ...target,
            address: v.address,
            allowed: reason === undefined,
            ...(reason ? { reason } : {}),
            bytesIn,
            bytesOut,
          });
          client.destroy();
          upstream.destroy();
        };
        let connected = false;
        upstream.once('connect', () => {
          connected = true;
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length > 0) upstream.write(head);
          client.on('data', (c: Buffer) => {
            bytesOut += c.length;
          });
          upstream.on('data', (c: Buffer) => {
            bytesIn += c.length;
          });
          client.pipe(upstream).on('error', () => finish());
          upstream.pipe(client).on('error', () => finish());
          client.once('close', () => finish());
          upstream.once('close', () => finish());
        });
        upstream.once('error', () => {
          if (!done && !connected) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
          // A reset after the tunnel was up ends an allowed connection; only a failed connect is a failure.
          finish(connected ? undefined : 'upstream-failed');
        });
        client.once('error', () => finish());
      });
    });
    // Upstream connections open per tool connection: pipelined requests would each open one.
    const open = new WeakMap<object, number>();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      let target: { host: string; port: number } | undefined;
      let path = req.url ?? '/';
      if (/^http:\/\//i.test(path)) {
        try {
          const u = new URL(path);
          target = splitHostPort(u.host, 80);
          path = `${u.pathname}${u.search}`;
        } catch {
          target = undefined;
        }
      } else if (path.startsWith('/')) target = splitHostPort(req.headers.host ?? '', 80);
      const refuse = (reason: EgressRefusal | 'inject-needs-tls', detail: string) => {
        record({
          kind: 'http',
          host: target?.host ?? '',
          port: target?.port ?? 0,
          allowed: false,
          reason,
          detail,
          bytesIn: 0,
          bytesOut: 0,
        });
        res.writeHead(403, { 'x-agentguard-egress': reason, connection: 'close' }).end(`egress refused: ${reason}\n`);
      };
      if (target === undefined) return refuse('bad-host', 'no target');
      const t = target;
      void admit(t.host, t.port).then((v) => {
        if (!v.ok) return refuse(v.reason, v.detail);
        // A credential goes only to a server that proved its name over TLS (decision 0011): plain HTTP to a
        // host with `inject` would hand it, in clear, to whatever answers on the pinned address.
        if (Object.keys(v.inject).length > 0) {
          return refuse('inject-needs-tls', 'the host injects credentials: use HTTPS (CONNECT)');
        }
        const busy = open.get(req.socket) ?? 0;
        if (busy >= MAX_UPSTREAM_PER_CONNECTION) {
          record({
            kind: 'http',
            ...t,
            address: v.address,
            allowed: false,
            reason: 'upstream-failed',
            detail: `more than ${MAX_UPSTREAM_PER_CONNECTION} concurrent requests on one connection`,
            bytesIn: 0,
            bytesOut: 0,
          });
          res.writeHead(503, { 'x-agentguard-egress': 'upstream-failed', connection: 'close' }).end();
          return;
        }
        open.set(req.socket, busy + 1);
        // Host names the destination the broker admitted and connects to, never what the tool claims.
        const name = t.host.includes(':') ? `[${t.host}]` : t.host;
        forward(req, res, {
          path,
          headers: { ...copyHeaders(req.headers, DROPPED), host: t.port === 80 ? name : `${name}:${t.port}` },
          connection: () => connect(v.address, t.port),
          done: ({ error, toolClosed, bytesIn, bytesOut }) => {
            open.set(req.socket, (open.get(req.socket) ?? 1) - 1);
            record({
              kind: 'http',
              ...t,
              address: v.address,
              allowed: error === undefined,
              ...(error === undefined ? {} : { reason: 'upstream-failed' as const, detail: codeOf(error) }),
              ...(toolClosed ? { detail: 'tool-closed' } : {}),
              bytesIn,
              bytesOut,
            });
            return undefined;
          },
        });
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(path, () => ok());
    });
    const endpoint: BrokerEndpoint = {
      path,
      setCall(id: string) {
        callId = id;
      },
      close: () =>
        new Promise<void>((ok) => {
          endpoints.delete(endpoint);
          server.closeAllConnections();
          for (const t of tunnels) t.destroy();
          server.close(() => ok());
        }),
    };
    endpoints.add(endpoint);
    return endpoint;
  }

  return Object.freeze({
    checker,
    get caCertificate() {
      return ca?.certificate;
    },
    open,
    async close() {
      await Promise.all([...endpoints].map((e) => e.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
