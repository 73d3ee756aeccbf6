import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerEndpoint, createEgressBroker, type EgressRecord } from '../src/broker.js';
import { loopbackOnlyConnect, selfIssuedHttpsServer } from './helpers.js';
import { stubResolver } from './ssrf-corpus.js';

const SECRET = 'Bearer held-by-the-broker';

interface Seen {
  url: string;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * A handler that records every request it parses; `/hang` sends its head and part of a body, then never ends
 * (until the connection closes), and says when it got there; `/reset` sends part of a body, then drops the
 * connection.
 */
function recorder() {
  const seen: Seen[] = [];
  const hanging: (() => void)[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: { ...req.headers }, body });
      if (req.url === '/hang') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        for (const h of hanging.splice(0)) h();
        return;
      }
      if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial', () => setTimeout(() => req.socket.destroy(), 20));
        return;
      }
      res.end('pong');
    });
  };
  const reachedHang = () => new Promise<void>((r) => hanging.push(r));
  return { seen, handler, reachedHang };
}

/** Writes raw text on a socket and reads until it closes. */
function exchange(s: Socket | TLSSocket, text: string) {
  return new Promise<string>((ok) => {
    let out = '';
    s.on('data', (c: Buffer) => {
      out += c.toString();
    });
    s.on('close', () => ok(out));
    s.on('error', () => ok(out));
    s.write(text);
  });
}

/** A TLS tunnel through the broker to `target`, trusting the broker's CA. */
function tunnel(endpoint: BrokerEndpoint, target: string, servername: string, ca: string) {
  return new Promise<TLSSocket>((ok, fail) => {
    const s = connect(endpoint.path);
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!buf.startsWith('HTTP/1.1 200')) return fail(new Error(buf));
      const t = tlsConnect({ socket: s, servername, ca });
      t.once('secureConnect', () => ok(t));
      t.once('error', fail);
    };
    s.on('data', onData);
    s.on('error', fail);
    s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

/** A chunked body that holds a whole second request: unframed, a server would read it as one. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n';
const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

describe('broker requests: Host, plain-HTTP credentials, body framing, one record per request', () => {
  const spy = loopbackOnlyConnect();
  const plain = recorder();
  const secure = recorder();
  const records: EgressRecord[] = [];
  const http = createServer(plain.handler);
  let httpPort = 0;
  let https: Awaited<ReturnType<typeof selfIssuedHttpsServer>>;
  let broker: ReturnType<typeof createEgressBroker>;
  let endpoint: BrokerEndpoint;

  beforeAll(async () => {
    await new Promise<void>((ok) => http.listen(0, '127.0.0.2', ok));
    httpPort = (http.address() as AddressInfo).port;
    https = await selfIssuedHttpsServer('api.req.test', '127.0.0.2', secure.handler);
    broker = createEgressBroker({
      tool: 'req',
      policy: {
        allow: [
          { host: 'api.req.test', ports: [httpPort, https.port], inject: { authorization: SECRET } },
          { host: 'plain.req.test', ports: [httpPort] },
        ],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: stubResolver({ 'api.req.test': ['127.0.0.2'], 'plain.req.test': ['127.0.0.2'] }).resolve,
      connect: spy.fn,
      tls: { ca: https.ca },
      onRecord: (r) => records.push(r),
    });
    endpoint = await broker.open();
  });
  afterAll(async () => {
    await broker.close();
    http.closeAllConnections();
    await new Promise<void>((ok) => http.close(() => ok()));
    await https.close();
    expect(spy.violations).toEqual([]);
  });

  it('plain HTTP: the Host sent upstream is the admitted target, never the tool’s', async () => {
    const before = plain.seen.length;
    const reply = await exchange(
      connect(endpoint.path),
      `GET http://plain.req.test:${httpPort}/x HTTP/1.1\r\nhost: attacker.example\r\nconnection: close\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(plain.seen.slice(before)).toEqual([
      expect.objectContaining({ url: '/x', headers: expect.objectContaining({ host: `plain.req.test:${httpPort}` }) }),
    ]);
  });

  it('plain HTTP to a host with inject is refused: the credential never goes out without TLS', async () => {
    const before = plain.seen.length;
    const attempts = spy.attempts.length;
    const reply = await exchange(
      connect(endpoint.path),
      `GET http://api.req.test:${httpPort}/ HTTP/1.1\r\nhost: api.req.test\r\nconnection: close\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
    expect(reply).toMatch(/x-agentguard-egress: inject-needs-tls/);
    expect(plain.seen.length).toBe(before);
    expect(spy.attempts.length).toBe(attempts);
    expect(records.at(-1)).toMatchObject({
      kind: 'http',
      host: 'api.req.test',
      allowed: false,
      reason: 'inject-needs-tls',
    });
  });

  it('plain HTTP: a chunked GET body goes upstream framed, as one request', async () => {
    const before = plain.seen.length;
    const reply = await exchange(
      connect(endpoint.path),
      `GET http://plain.req.test:${httpPort}/a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${chunked(SMUGGLED)}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 50));
    expect(plain.seen.slice(before)).toEqual([expect.objectContaining({ url: '/a', body: SMUGGLED })]);
  });

  it('HTTPS (terminated): a chunked GET body goes upstream framed, as one request', async () => {
    const before = secure.seen.length;
    const t = await tunnel(endpoint, `api.req.test:${https.port}`, 'api.req.test', broker.caCertificate as string);
    const reply = await exchange(
      t,
      `GET /a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${chunked(SMUGGLED)}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 50));
    expect(secure.seen.slice(before)).toEqual([expect.objectContaining({ url: '/a', body: SMUGGLED })]);
    expect(secure.seen.slice(before)[0]?.headers.authorization).toBe(SECRET);
  });

  it('plain HTTP: a tool that leaves mid-answer still yields exactly one record', async () => {
    const n = records.length;
    const s = connect(endpoint.path);
    s.on('error', () => {});
    const hung = plain.reachedHang();
    s.write(`GET http://plain.req.test:${httpPort}/hang HTTP/1.1\r\nhost: x\r\n\r\n`);
    await hung;
    await waitFor(() => s.bytesRead > 0);
    s.destroy();
    await waitFor(() => records.length > n);
    await new Promise((r) => setTimeout(r, 100));
    expect(records.slice(n)).toEqual([
      expect.objectContaining({ kind: 'http', host: 'plain.req.test', allowed: true, detail: 'tool-closed' }),
    ]);
  });

  it('HTTPS (terminated): a tool that leaves mid-answer still yields exactly one record', async () => {
    const t = await tunnel(endpoint, `api.req.test:${https.port}`, 'api.req.test', broker.caCertificate as string);
    t.on('error', () => {});
    const n = records.length;
    const hung = secure.reachedHang();
    let got = 0;
    t.on('data', (c: Buffer) => {
      got += c.length;
    });
    t.write('GET /hang HTTP/1.1\r\nhost: x\r\n\r\n');
    await hung;
    await waitFor(() => got > 0);
    t.destroy();
    await waitFor(() => records.length > n);
    await new Promise((r) => setTimeout(r, 100));
    expect(records.slice(n)).toEqual([
      expect.objectContaining({ kind: 'https', host: 'api.req.test', allowed: true, detail: 'tool-closed' }),
    ]);
  });

  it('plain HTTP: an upstream that drops the connection mid-answer yields exactly one record', async () => {
    const n = records.length;
    const reply = await exchange(
      connect(endpoint.path),
      `GET http://plain.req.test:${httpPort}/reset HTTP/1.1\r\nhost: x\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    await waitFor(() => records.length > n);
    await new Promise((r) => setTimeout(r, 100));
    expect(records.slice(n)).toEqual([
      expect.objectContaining({ kind: 'http', host: 'plain.req.test', allowed: false, reason: 'upstream-failed' }),
    ]);
  });

  it('plain HTTP: pipelined requests on one connection open at most 8 upstream connections at once', async () => {
    const attempts = spy.attempts.length;
    const n = records.length;
    const s = connect(endpoint.path);
    s.on('error', () => {});
    s.write(`GET http://plain.req.test:${httpPort}/hang HTTP/1.1\r\nhost: x\r\n\r\n`.repeat(12));
    const refused = () => records.slice(n).filter((r) => r.detail?.startsWith('more than 8'));
    await waitFor(() => refused().length >= 4);
    // The 8 allowed requests connect upstream at the machine's pace: wait for them, then check no ninth follows.
    await waitFor(() => spy.attempts.length - attempts >= 8);
    await new Promise((r) => setTimeout(r, 100));
    expect(spy.attempts.length - attempts).toBe(8);
    expect(refused()).toHaveLength(4);
    s.destroy();
  });
});
