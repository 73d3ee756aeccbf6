import { X509Certificate } from 'node:crypto';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerEndpoint, createEgressBroker, type EgressRecord } from '../src/broker.js';
import { loopbackOnlyConnect, selfIssuedHttpsServer } from './helpers.js';
import { stubResolver } from './ssrf-corpus.js';

const SECRET = 'Bearer held-by-the-broker';

/** An HTTPS server on 127.0.0.2 for `host` that records what it receives and answers `pong`. */
async function upstream(host: string) {
  const seen: { url: string; headers: Record<string, unknown>; body: string }[] = [];
  const server = await selfIssuedHttpsServer(host, '127.0.0.2', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: { ...req.headers }, body });
      res.end('pong');
    });
  });
  return { ...server, seen };
}

/** CONNECT through the broker, then TLS to whatever answers, trusting `ca` only. */
function tunnel(endpoint: BrokerEndpoint, target: string, servername: string, ca: string) {
  return new Promise<TLSSocket | string>((ok, fail) => {
    const s: Socket = connect(endpoint.path);
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!buf.startsWith('HTTP/1.1 200')) {
        s.destroy();
        return ok(buf.split('\r\n').slice(0, 2).join(' | '));
      }
      const t = tlsConnect({ socket: s, servername, ca });
      t.once('secureConnect', () => ok(t));
      t.once('error', fail);
    };
    s.on('data', onData);
    s.on('error', fail);
    s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

/** Writes raw request text on a socket and reads until it closes. */
function exchange(s: TLSSocket, text: string) {
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

describe('the broker terminates TLS for hosts with inject', () => {
  let up: Awaited<ReturnType<typeof upstream>>;
  let broker: ReturnType<typeof createEgressBroker>;
  let endpoint: BrokerEndpoint;
  const records: EgressRecord[] = [];
  const spy = loopbackOnlyConnect();
  /** A tunnel to the inject host, trusting the broker's CA. */
  const toApi = async () =>
    (await tunnel(
      endpoint,
      `api.inject.test:${up.port}`,
      'api.inject.test',
      broker.caCertificate as string,
    )) as TLSSocket;

  beforeAll(async () => {
    up = await upstream('api.inject.test');
    broker = createEgressBroker({
      tool: 'mitm',
      policy: {
        allow: [
          { host: 'api.inject.test', ports: [up.port], inject: { authorization: SECRET, 'x-api-key': 'k1' } },
          { host: 'plain.inject.test', ports: [up.port] },
        ],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: stubResolver({ 'api.inject.test': ['127.0.0.2'], 'plain.inject.test': ['127.0.0.2'] }).resolve,
      connect: spy.fn,
      tls: { ca: up.ca },
      onRecord: (r) => records.push(r),
    });
    endpoint = await broker.open();
    endpoint.setCall('call-7');
  });
  afterAll(async () => {
    await broker.close();
    await up.close();
  });

  it("presents a certificate for the host from the broker's CA, which holds no other name", async () => {
    const ca = broker.caCertificate as string;
    const x = new X509Certificate(ca);
    expect(x.ca).toBe(true);
    const t = await tunnel(endpoint, `api.inject.test:${up.port}`, 'api.inject.test', ca);
    expect(typeof t).not.toBe('string');
    const peer = (t as TLSSocket).getPeerX509Certificate();
    expect(peer?.checkHost('api.inject.test')).toBe('api.inject.test');
    expect(peer?.checkHost('plain.inject.test')).toBeUndefined();
    expect(peer?.checkIssued(x)).toBe(true);
    (t as TLSSocket).destroy();
  });

  it('the injected headers win over the tool’s own, and Host is the tunnel’s target, whatever the tool says', async () => {
    const before = up.seen.length;
    const t = await toApi();
    const reply = await exchange(
      t,
      'POST /v1/x HTTP/1.1\r\nhost: evil.example\r\nauthorization: Bearer forged\r\nX-Api-Key: mine\r\nproxy-authorization: p\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply.endsWith('pong')).toBe(true);
    const got = up.seen.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]?.headers).toMatchObject({
      authorization: SECRET,
      'x-api-key': 'k1',
      host: `api.inject.test:${up.port}`,
    });
    expect(got[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(got[0]).toMatchObject({ url: '/v1/x', body: 'hello' });
    expect(records.at(-1)).toMatchObject({
      tool: 'mitm',
      callId: 'call-7',
      kind: 'https',
      allowed: true,
      bytesOut: 5,
      bytesIn: 4,
    });
  });

  it('serves several requests on one kept-alive tunnel, each over its own verified upstream connection', async () => {
    const before = up.seen.length;
    const attempts = spy.attempts.length;
    const n = records.length;
    const t = await toApi();
    const replies: string[] = [];
    await new Promise<void>((ok) => {
      let buf = '';
      t.on('data', (c: Buffer) => {
        buf += c.toString();
        // One response ends with its 4-byte body; send the next request then.
        if (!buf.endsWith('pong')) return;
        replies.push(buf);
        buf = '';
        if (replies.length === 1) t.write('GET /two HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      });
      t.on('close', () => ok());
      t.write('GET /one HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    expect(replies).toHaveLength(2);
    expect(up.seen.slice(before).map((s) => [s.url, s.headers.authorization])).toEqual([
      ['/one', SECRET],
      ['/two', SECRET],
    ]);
    expect(spy.attempts.length - attempts).toBe(2);
    expect(records.slice(n).map((r) => [r.kind, r.allowed])).toEqual([
      ['https', true],
      ['https', true],
    ]);
  });

  it('refuses a request target in absolute form inside the tunnel (no second destination)', async () => {
    const before = up.seen.length;
    const t = await toApi();
    const reply = await exchange(
      t,
      'GET http://evil.example/steal HTTP/1.1\r\nhost: evil.example\r\nconnection: close\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(up.seen.length).toBe(before);
    expect(records.at(-1)).toMatchObject({ kind: 'https', allowed: false, reason: 'bad-host' });
  });

  it('a tool that speaks garbage instead of TLS gets the connection closed, and the tunnel is still recorded', async () => {
    const n = records.length;
    const reply = await new Promise<string>((ok) => {
      const s = connect(endpoint.path);
      let buf = '';
      s.on('data', (c: Buffer) => {
        buf += c.toString('latin1');
        if (buf.includes('\r\n\r\n')) s.write(Buffer.alloc(4096, 0x16));
      });
      s.on('close', () => ok(buf));
      s.on('error', () => ok(buf));
      s.write(`CONNECT api.inject.test:${up.port} HTTP/1.1\r\nhost: x\r\n\r\n`);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    // The record is written when the terminated tunnel closes, just after the client saw it close.
    for (let i = 0; i < 500 && records.length === n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(records.slice(n)).toEqual([
      expect.objectContaining({ kind: 'https', allowed: true, bytesIn: 0, bytesOut: 0 }),
    ]);
  });

  it('hosts without inject keep an end-to-end tunnel: the tool sees the server’s own certificate', async () => {
    const t = await tunnel(endpoint, `plain.inject.test:${up.port}`, 'api.inject.test', up.ca);
    expect(typeof t).not.toBe('string');
    expect((t as TLSSocket).getPeerX509Certificate()?.issuer).toBe('CN=throwaway ca');
    (t as TLSSocket).destroy();
  });

  it('refuses a malformed tls option when the broker is made, not at the first connection', () => {
    for (const tls of [{ ca: 5 }, { ca: ['not pem'] }, null, 'x', { ca: [up.ca, {}] }]) {
      expect(() => createEgressBroker({ tool: 'x', tls: tls as never })).toThrow(TypeError);
    }
  });

  it('a broker without inject rules has no CA at all', () => {
    const b = createEgressBroker({ tool: 'x', policy: { allow: [{ host: 'a.test' }] } });
    expect(b.caCertificate).toBeUndefined();
    return b.close();
  });

  it('a tool that leaves while the server is still being verified releases the upstream, with a record', async () => {
    // A server that accepts TCP and never answers the TLS handshake.
    const upstreamClosed: Promise<void>[] = [];
    let accepted: () => void = () => {};
    const wasAccepted = new Promise<void>((r) => {
      accepted = r;
    });
    const silent = createTcpServer((s) => {
      upstreamClosed.push(new Promise((r) => s.once('close', () => r())));
      s.on('error', () => {});
      s.resume(); // read (and drop) the ClientHello, so the broker's leaving is seen
      accepted();
    });
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.2', ok));
    const port = (silent.address() as AddressInfo).port;
    const b = createEgressBroker({
      tool: 'mitm',
      policy: {
        allow: [{ host: 'silent.inject.test', ports: [port], inject: { authorization: SECRET } }],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: async () => ['127.0.0.2'],
      connect: spy.fn,
      onRecord: (r) => records.push(r),
    });
    const e = await b.open();
    try {
      const n = records.length;
      const s = connect(e.path);
      s.on('error', () => {});
      s.write(`CONNECT silent.inject.test:${port} HTTP/1.1\r\nhost: x\r\n\r\n`);
      await wasAccepted;
      s.destroy();
      await upstreamClosed[0];
      const mine = () => records.slice(n).filter((r) => r.host === 'silent.inject.test');
      for (let i = 0; i < 500 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(mine()).toEqual([
        expect.objectContaining({
          kind: 'https',
          allowed: false,
          reason: 'upstream-failed',
          detail: 'the tool left before the server was verified',
        }),
      ]);
    } finally {
      await b.close();
      await new Promise<void>((ok) => silent.close(() => ok()));
    }
  });

  it('an upstream that fails the name check is refused before the tunnel is granted', async () => {
    const b = createEgressBroker({
      tool: 'mitm',
      policy: {
        allow: [{ host: 'other.inject.test', ports: [up.port], inject: { authorization: SECRET } }],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: async () => ['127.0.0.2'],
      connect: spy.fn,
      tls: { ca: up.ca },
      onRecord: (r) => records.push(r),
    });
    const e = await b.open();
    try {
      const before = up.seen.length;
      const line = await tunnel(e, `other.inject.test:${up.port}`, 'other.inject.test', b.caCertificate as string);
      expect(line).toBe('HTTP/1.1 502 Bad Gateway | x-agentguard-egress: upstream-untrusted');
      expect(up.seen.length).toBe(before);
      expect(records.at(-1)).toMatchObject({
        kind: 'https',
        allowed: false,
        reason: 'upstream-untrusted',
        detail: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      await b.close();
    }
  });
});
