import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerEndpoint, createEgressBroker, type EgressRecord } from '../src/broker.js';
import { echoServer, loopbackOnlyConnect } from './helpers.js';
import { SSRF_CORPUS, stubResolver } from './ssrf-corpus.js';

function httpVia(endpoint: BrokerEndpoint, url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; refusal: string | undefined; body: string }>((ok, fail) => {
    // A URL Node cannot parse (an IPv6 zone) goes origin-form with a Host header, which the broker also routes.
    let absolute = true;
    try {
      new URL(url);
    } catch {
      absolute = false;
    }
    const hostHeader = url.slice('http://'.length, url.indexOf('/', 'http://'.length));
    const options = absolute
      ? { socketPath: endpoint.path, path: url, headers }
      : { socketPath: endpoint.path, path: '/', headers: { ...headers, host: hostHeader } };
    const req = request(options, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () =>
        ok({ status: res.statusCode ?? 0, refusal: res.headers['x-agentguard-egress'] as string | undefined, body }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

function connectVia(endpoint: BrokerEndpoint, target: string) {
  return new Promise<string>((ok, fail) => {
    const s = connect(endpoint.path);
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\r\n\r\n')) {
        s.destroy();
        ok(buf.split('\r\n')[0] ?? '');
      }
    });
    s.on('error', fail);
    s.on('close', () => ok(buf.split('\r\n')[0] ?? ''));
    s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);

describe('egress broker', () => {
  const spy = loopbackOnlyConnect();
  const stub = stubResolver({ 'allowed.sandbox.test': ['127.0.0.2'], 'tunnel.sandbox.test': ['127.0.0.2'] });
  const records: EgressRecord[] = [];
  let server: Awaited<ReturnType<typeof echoServer>>;
  let endpoint: BrokerEndpoint;
  let broker: ReturnType<typeof createEgressBroker>;
  const everyHost = SSRF_CORPUS.map((c) => c.host);

  beforeAll(async () => {
    server = await echoServer('127.0.0.2');
    broker = createEgressBroker({
      tool: 'fetcher',
      // Every corpus host is allowlisted by name, on every port used, so only the address checks refuse.
      policy: {
        allow: [
          ...everyHost.filter((h) => h.endsWith('.test')).map((host) => ({ host, ports: [80, 443] })),
          { host: 'allowed.sandbox.test', ports: [server.port], inject: { authorization: 'Bearer broker-held' } },
          // No inject: CONNECT stays an end-to-end tunnel.
          { host: 'tunnel.sandbox.test', ports: [server.port] },
        ],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: stub.resolve,
      connect: spy.fn,
      onRecord: (r) => records.push(r),
    });
    endpoint = await broker.open();
    endpoint.setCall('call-1');
  });
  afterAll(async () => {
    await broker.close();
    await server.close();
    expect(spy.violations).toEqual([]);
  });

  it('the corpus has at least 60 forms', () => {
    expect(SSRF_CORPUS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(everyHost.map((h) => [h]))('refuses plain HTTP to %s', async (host) => {
    const r = await httpVia(endpoint, `http://${bracket(host.replace('%25', '%'))}/`);
    expect(r.status).toBe(403);
    // 127.0.0.1 itself is on the test's unsafe list but not on the host allowlist.
    expect(['address-refused', 'host-not-allowed', 'no-address', 'bad-host']).toContain(r.refusal);
  });

  it.each(everyHost.map((h) => [h]))('refuses CONNECT to %s', async (host) => {
    const line = await connectVia(endpoint, `${bracket(host.replace('%25', '%'))}:443`);
    expect(line).toMatch(/^HTTP\/1\.1 403/);
  });

  it('never attempted a connection for a refused destination', () => {
    expect(spy.attempts).toEqual([]);
    expect(records.filter((r) => r.allowed)).toEqual([]);
    expect(records.every((r) => r.tool === 'fetcher' && r.callId === 'call-1')).toBe(true);
  });

  it('refuses plain HTTP to a host with inject: the credential goes only over verified TLS', async () => {
    const r = await httpVia(endpoint, `http://allowed.sandbox.test:${server.port}/x`);
    expect(r.status).toBe(403);
    expect(r.refusal).toBe('inject-needs-tls');
    expect(r.body).not.toContain('broker-held');
    expect(spy.attempts).toEqual([]);
    expect(records.at(-1)).toMatchObject({ kind: 'http', host: 'allowed.sandbox.test', allowed: false });
  });

  it('forwards an allowed request to the pinned address, with Host naming the target', async () => {
    const r = await httpVia(endpoint, `http://tunnel.sandbox.test:${server.port}/x?y=1`, {
      'proxy-authorization': 'x',
      host: 'attacker.example',
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/x?y=1');
    expect(seen.headers.host).toBe(`tunnel.sandbox.test:${server.port}`);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(spy.attempts).toEqual([`127.0.0.2:${server.port}`]);
    const last = records.at(-1);
    expect(last).toMatchObject({ kind: 'http', host: 'tunnel.sandbox.test', address: '127.0.0.2', allowed: true });
    expect(last?.bytesIn).toBeGreaterThan(0);
  });

  it('tunnels an allowed CONNECT and resolves the name once (no rebinding window)', async () => {
    const before = stub.calls.length;
    const line = await connectVia(endpoint, `tunnel.sandbox.test:${server.port}`);
    expect(line).toMatch(/^HTTP\/1\.1 200/);
    expect(stub.calls.length - before).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(records.at(-1)).toMatchObject({ kind: 'connect', allowed: true, address: '127.0.0.2' });
  });

  it('terminates TLS for a host with inject: a server that cannot speak TLS gets no tunnel', async () => {
    // The echo server is plain HTTP: the broker's own TLS connection to it fails before the tunnel is granted.
    const line = await connectVia(endpoint, `allowed.sandbox.test:${server.port}`);
    expect(line).toBe('HTTP/1.1 502 Bad Gateway');
    expect(records.at(-1)).toMatchObject({ kind: 'https', allowed: false, reason: 'upstream-failed' });
    expect(broker.caCertificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });

  it('answers 502 and records upstream-failed when the pinned address refuses the connection', async () => {
    const closed = await echoServer('127.0.0.2');
    const port = closed.port;
    await closed.close();
    const b = createEgressBroker({
      tool: 'fetcher',
      policy: { allow: [{ host: 'allowed.sandbox.test', ports: [port] }], unsafeAllowAddresses: ['127.0.0.2'] },
      resolve: stub.resolve,
      connect: spy.fn,
      onRecord: (r) => records.push(r),
    });
    const e = await b.open();
    try {
      expect(await connectVia(e, `allowed.sandbox.test:${port}`)).toMatch(/^HTTP\/1\.1 502/);
      expect(records.at(-1)).toMatchObject({ kind: 'connect', allowed: false, reason: 'upstream-failed' });
    } finally {
      await b.close();
    }
  });

  it('refuses a port the rule does not list, and malformed targets', async () => {
    expect((await httpVia(endpoint, 'http://allowed.sandbox.test:1/')).refusal).toBe('port-not-allowed');
    expect(await connectVia(endpoint, 'allowed.sandbox.test')).toMatch(/403/);
    expect(await connectVia(endpoint, 'exa mple.com:443')).toMatch(/^HTTP\/1\.1 40/);
    expect(await connectVia(endpoint, 'unknown.example:443')).toMatch(/403/);
  });
});
