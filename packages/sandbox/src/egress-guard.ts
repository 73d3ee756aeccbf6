import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { createAdmit, defaultResolve, type Resolve } from './admit.js';
import type { EgressRecord } from './broker.js';
import { createEgressChecker, type EgressChecker, type EgressPolicy } from './egress-policy.js';
import { SandboxError } from './errors.js';
import { bundledUndiciAgent, type FetchDispatcher, type UndiciAgentClass } from './undici.js';

/** Options of {@link createEgressGuard}. */
export interface EgressGuardOptions {
  /** The tool this guard serves (named in every record). */
  readonly tool: string;
  /** Names the call in records; set it per call with `guard.setCall`. @default 'none' */
  readonly callId?: string;
  /** The same policy the broker takes. `inject` is ignored here: in-process code can read any secret anyway. @default {} */
  readonly policy?: EgressPolicy;
  /** @default dns.promises.lookup(host, { all: true, verbatim: true }) */
  readonly resolve?: Resolve;
  /** Opens the TCP connection to a checked address (inject a spy in tests). @default net.connect */
  readonly connect?: (address: string, port: number) => Socket;
  /** TLS options for HTTPS (e.g. `ca` for a private CA); the server name is always the requested host. @default {} */
  readonly tls?: Omit<ConnectionOptions, 'socket' | 'host' | 'port' | 'servername'>;
  /** Receives every connection record (allowed and refused). @default none */
  readonly onRecord?: (record: EgressRecord) => void;
  /**
   * The undici `Agent` class the fetch dispatcher is made from. By default the one bundled in Node (found
   * through the global-dispatcher symbol undici shares with its npm package); pass `Agent` from the
   * `undici` package if the global dispatcher was replaced by something else.
   * @default Node's bundled undici Agent
   */
  readonly undiciAgent?: UndiciAgentClass;
}

/** An in-process egress guard: agents for `http`/`https` and a dispatcher for `fetch`, all enforcing one policy. */
export interface EgressGuard {
  readonly checker: EgressChecker;
  /** For `http.request(url, { agent })`. */
  readonly httpAgent: HttpAgent;
  /** For `https.request(url, { agent })`. */
  readonly httpsAgent: HttpsAgent;
  /** For `fetch(url, { dispatcher })` (Node's fetch is undici). */
  readonly dispatcher: FetchDispatcher;
  /** Names the call whose connections follow. */
  setCall(callId: string): void;
  /** Closes pooled connections. Idempotent. */
  close(): Promise<void>;
}

type Opened = (error: Error | null, socket?: Socket) => void;

/**
 * Creates the in-process egress guard, for tools that stay in the agent's process (`isolation: 'none'`).
 * Each connection is admitted exactly as the broker admits it: host and port against the allowlist, one
 * DNS resolution whose every answer is classified, and a TCP connection to the checked address only (no
 * second lookup, so no rebinding). Refusals fail the request with `ERR_SANDBOX_EGRESS_DENIED`.
 *
 * COOPERATIVE, not a boundary: it guards only requests that use these agents and this dispatcher. Code in
 * the agent's process can create its own agent, open a socket, or call `fetch` without the dispatcher.
 * Use `isolation: 'process'` or `'bwrap'` for tools you do not trust.
 *
 * @example
 * ```ts
 * const guard = createEgressGuard({ tool: 'weather', policy: { allow: [{ host: 'api.weather.example' }] } });
 * await fetch('https://api.weather.example/v1?city=Lisbon', { dispatcher: guard.dispatcher } as RequestInit);
 * https.get('https://api.weather.example/v1', { agent: guard.httpsAgent });
 * ```
 */
export function createEgressGuard(options: EgressGuardOptions): EgressGuard {
  if (typeof options?.tool !== 'string' || options.tool === '') throw new TypeError('"tool" expected a tool name');
  const checker = createEgressChecker(options.policy ?? {});
  const admit = createAdmit(checker, options.resolve ?? defaultResolve);
  const connect = options.connect ?? ((address: string, port: number) => netConnect({ host: address, port }));
  const onRecord = options.onRecord ?? (() => {});
  const tlsOptions = options.tls ?? {};
  let callId = options.callId ?? 'none';
  let closing: Promise<void> | undefined;

  const record = (r: Omit<EgressRecord, 'tool' | 'callId' | 'kind'>) => {
    try {
      onRecord({ tool: options.tool, callId, kind: 'connect', ...r });
    } catch {
      // a failing hook must not leave a connection half-open
    }
  };

  /** Admits `host:port`, connects to the pinned address, wraps TLS when asked, and calls back once connected. */
  function open(rawHost: string, port: number, secure: boolean, extraTls: ConnectionOptions, done: Opened): void {
    const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
    void admit(host, port).then((v) => {
      if (!v.ok) {
        record({ host, port, allowed: false, reason: v.reason, detail: v.detail, bytesIn: 0, bytesOut: 0 });
        done(new SandboxError('ERR_SANDBOX_EGRESS_DENIED', `egress refused: ${v.reason} (${v.detail})`));
        return;
      }
      let tcp: Socket;
      try {
        tcp = connect(v.address, port);
      } catch (e) {
        record({ host, port, address: v.address, allowed: false, reason: 'upstream-failed', bytesIn: 0, bytesOut: 0 });
        done(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const socket = secure
        ? tlsConnect({
            ...tlsOptions,
            ...extraTls,
            socket: tcp,
            host,
            // SNI and certificate checks use the name the caller asked for, not the pinned address.
            ...(isIP(host) === 0 ? { servername: host } : {}),
          })
        : tcp;
      let settled = false;
      let opened = false;
      const ready = () => {
        if (settled) return;
        settled = true;
        opened = true;
        socket.off('error', failed);
        done(null, socket);
      };
      const failed = (e: Error) => {
        if (settled) return;
        settled = true;
        record({ host, port, address: v.address, allowed: false, reason: 'upstream-failed', bytesIn: 0, bytesOut: 0 });
        socket.destroy();
        done(e);
      };
      socket.once(secure ? 'secureConnect' : 'connect', ready);
      socket.once('error', failed);
      tcp.once('close', () => {
        if (opened) {
          record({ host, port, address: v.address, allowed: true, bytesIn: tcp.bytesRead, bytesOut: tcp.bytesWritten });
        }
      });
    });
  }

  const connectOf = (secure: boolean) =>
    function createConnection(this: HttpAgent, o: Record<string, unknown>, cb: Opened): undefined {
      const host = String(o.hostname ?? o.host ?? '');
      const port = Number(o.port ?? (secure ? 443 : 80));
      const { ca, cert, key, rejectUnauthorized, ciphers, minVersion, maxVersion } = o as ConnectionOptions;
      const extra = Object.fromEntries(
        Object.entries({ ca, cert, key, rejectUnauthorized, ciphers, minVersion, maxVersion }).filter(
          ([, x]) => x !== undefined,
        ),
      );
      open(host, port, secure, extra, cb);
      return undefined;
    };

  class GuardedHttpAgent extends HttpAgent {}
  class GuardedHttpsAgent extends HttpsAgent {}
  // The agents' createConnection may answer through its callback (Node's Agent supports it), so admission is async.
  Object.defineProperty(GuardedHttpAgent.prototype, 'createConnection', { value: connectOf(false) });
  Object.defineProperty(GuardedHttpsAgent.prototype, 'createConnection', { value: connectOf(true) });
  const httpAgent = new GuardedHttpAgent({ keepAlive: false });
  const httpsAgent = new GuardedHttpsAgent({ keepAlive: false });

  const Agent = options.undiciAgent ?? bundledUndiciAgent();
  const dispatcher = new Agent({
    connect: (o, cb) => {
      const secure = o.protocol === 'https:';
      const port = o.port === '' || o.port === undefined ? (secure ? 443 : 80) : Number(o.port);
      open(o.hostname, port, secure, {}, (e, s) => (e ? cb(e, null) : cb(null, s ?? null)));
    },
  });

  return Object.freeze({
    checker,
    httpAgent,
    httpsAgent,
    dispatcher,
    setCall(id: string) {
      callId = id;
    },
    close() {
      closing ??= (async () => {
        httpAgent.destroy();
        httpsAgent.destroy();
        await dispatcher.close();
      })();
      return closing;
    },
  });
}
