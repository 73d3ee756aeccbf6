import { get as httpGet, type RequestOptions } from 'node:http';
import { get as httpsGet } from 'node:https';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EgressRecord } from '../src/broker.js';
import { createEgressGuard, type EgressGuard } from '../src/egress-guard.js';
import { bundledUndiciAgent } from '../src/undici.js';
import { echoServer, hasOpenssl, loopbackOnlyConnect, tlsEchoServer } from './helpers.js';
import { SSRF_CORPUS, stubResolver } from './ssrf-corpus.js';

const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** Status and body, or the error code (a fetch failure's cause code). */
async function viaFetch(guard: EgressGuard, url: string): Promise<string> {
  try {
    const r = await fetch(url, { dispatcher: guard.dispatcher } as RequestInit);
    return `status ${r.status} ${await r.text()}`;
  } catch (e) {
    const err = e as { cause?: { code?: string }; code?: string; name?: string };
    return `error ${err.cause?.code ?? err.code ?? err.name}`;
  }
}

function viaGet(get: typeof httpGet | typeof httpsGet, options: RequestOptions & { ca?: string }): Promise<string> {
  return new Promise((resolve) => {
    const req = get(options, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve(`status ${res.statusCode} ${body}`));
    });
    req.on('error', (e: Error & { code?: string }) => resolve(`error ${e.code ?? e.message}`));
  });
}

describe('in-process egress guard (fetch dispatcher, http and https agents)', () => {
  const spy = loopbackOnlyConnect();
  const stub = stubResolver({ 'allowed.sandbox.test': ['127.0.0.2'] });
  const records: EgressRecord[] = [];
  let server: Awaited<ReturnType<typeof echoServer>>;
  let guard: EgressGuard;

  beforeAll(async () => {
    server = await echoServer('127.0.0.2');
    guard = createEgressGuard({
      tool: 'in-process',
      callId: 'call-g',
      // Every corpus name is on the allowlist, so only the address checks refuse them.
      policy: {
        allow: [
          ...SSRF_CORPUS.filter((c) => c.resolvesTo !== undefined).map((c) => ({ host: c.host, ports: [80, 443] })),
          { host: 'allowed.sandbox.test', ports: [server.port] },
        ],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: stub.resolve,
      connect: spy.fn,
      onRecord: (r) => records.push(r),
    });
  });
  afterAll(async () => {
    await guard.close();
    await server.close();
    expect(spy.violations).toEqual([]);
  });

  it.each(SSRF_CORPUS.map((c) => [c.host]))('refuses %s with fetch, http.get and https.get', async (raw) => {
    const host = raw.replace('%25', '%');
    const refused = 'error ERR_SANDBOX_EGRESS_DENIED';
    // WHATWG URLs have no IPv6 zone: fetch cannot even name that form (refused before any connection).
    const viaUrl = raw.includes('%') ? 'error ERR_INVALID_URL' : refused;
    expect(await viaFetch(guard, `http://${bracket(raw)}/`)).toBe(viaUrl);
    expect(await viaFetch(guard, `https://${bracket(raw)}/`)).toBe(viaUrl);
    expect(await viaGet(httpGet, { host, port: 80, path: '/', agent: guard.httpAgent })).toBe(refused);
    expect(await viaGet(httpsGet, { host, port: 443, path: '/', agent: guard.httpsAgent })).toBe(refused);
  });

  it('never attempted a connection for a refused destination, and recorded each refusal', () => {
    expect(spy.attempts).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(SSRF_CORPUS.length * 3);
    expect(records.every((r) => !r.allowed && r.tool === 'in-process' && r.callId === 'call-g')).toBe(true);
  });

  it('refuses a port the rule does not list, before resolving', async () => {
    const before = stub.calls.length;
    expect(await viaFetch(guard, 'http://allowed.sandbox.test:81/')).toBe('error ERR_SANDBOX_EGRESS_DENIED');
    expect(stub.calls.length).toBe(before);
  });

  it('reaches an allowed name at the pinned address, resolving once per connection', async () => {
    const before = stub.calls.length;
    const f = await viaFetch(guard, `http://allowed.sandbox.test:${server.port}/f?x=1`);
    expect(f).toMatch(/^status 200 /);
    expect(JSON.parse(f.slice('status 200 '.length))).toMatchObject({
      url: '/f?x=1',
      headers: { host: `allowed.sandbox.test:${server.port}` },
    });
    const h = await viaGet(httpGet, {
      host: 'allowed.sandbox.test',
      port: server.port,
      path: '/h',
      agent: guard.httpAgent,
    });
    expect(h).toMatch(/^status 200 .*"url":"\/h"/);
    expect(stub.calls.length - before).toBe(2);
    expect(spy.attempts).toEqual([`127.0.0.2:${server.port}`, `127.0.0.2:${server.port}`]);
    await guard.close(); // ends the kept-alive fetch connection, which writes its record
    // Records are written on each socket's 'close', which comes at the machine's pace.
    await vi.waitFor(() => expect(records.filter((r) => r.allowed)).toHaveLength(2), 5_000);
    const allowed = records.filter((r) => r.allowed);
    expect(allowed).toHaveLength(2);
    expect(allowed[0]).toMatchObject({ host: 'allowed.sandbox.test', address: '127.0.0.2', kind: 'connect' });
    expect(allowed.every((r) => r.bytesIn > 0 && r.bytesOut > 0)).toBe(true);
  });
});

describe(`HTTPS end to end, openssl here: ${hasOpenssl() ? 'available' : 'NOT available'}`, () => {
  if (!hasOpenssl()) {
    it('openssl is installed in CI (.ci/run), so only a developer machine without it skips the TLS tests', () => {
      expect(process.env.CI).not.toBe('true');
    });
    return;
  }
  const spy = loopbackOnlyConnect();
  const stub = stubResolver({ 'secure.sandbox.test': ['127.0.0.2'] });
  let tls: Awaited<ReturnType<typeof tlsEchoServer>>;
  let guard: EgressGuard;
  beforeAll(async () => {
    tls = await tlsEchoServer('secure.sandbox.test');
    guard = createEgressGuard({
      tool: 'tls',
      policy: { allow: [{ host: 'secure.sandbox.test', ports: [tls.port] }], unsafeAllowAddresses: ['127.0.0.2'] },
      resolve: stub.resolve,
      connect: spy.fn,
      tls: { ca: tls.ca },
    });
  });
  afterAll(async () => {
    await guard.close();
    await tls.close();
    expect(spy.violations).toEqual([]);
  });

  it('fetch and https.get verify the certificate for the requested name over the pinned connection', async () => {
    const url = `https://secure.sandbox.test:${tls.port}/t`;
    expect(await viaFetch(guard, url)).toMatch(/^status 200 .*"secure":true/);
    const r = await viaGet(httpsGet, {
      host: 'secure.sandbox.test',
      port: tls.port,
      path: '/t',
      agent: guard.httpsAgent,
      ca: tls.ca,
    });
    expect(r).toMatch(/^status 200 .*"host":"secure.sandbox.test/);
    expect(spy.attempts.every((a) => a === `127.0.0.2:${tls.port}`)).toBe(true);
  });

  it('refuses a certificate it does not trust (TLS is not weakened by pinning)', async () => {
    const untrusting = createEgressGuard({
      tool: 'tls',
      policy: { allow: [{ host: 'secure.sandbox.test', ports: [tls.port] }], unsafeAllowAddresses: ['127.0.0.2'] },
      resolve: stub.resolve,
      connect: spy.fn,
    });
    try {
      const r = await viaFetch(untrusting, `https://secure.sandbox.test:${tls.port}/`);
      expect(r).toMatch(
        /^error (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
      );
    } finally {
      await untrusting.close();
    }
  });
});

describe('the fetch dispatcher without a plain global undici Agent', () => {
  const key = Symbol.for('undici.globalDispatcher.1');
  const holder = globalThis as unknown as Record<symbol, unknown>;

  it('fails closed with ERR_SANDBOX_UNAVAILABLE when the global dispatcher was replaced', () => {
    const real = holder[key];
    class ProxyAgent {}
    holder[key] = new ProxyAgent();
    try {
      expect(() => createEgressGuard({ tool: 't' })).toThrow(
        expect.objectContaining({ code: 'ERR_SANDBOX_UNAVAILABLE' }),
      );
    } finally {
      holder[key] = real;
    }
  });

  it('takes the Agent class it is given, and names each call in its records', async () => {
    const Agent = bundledUndiciAgent();
    const records: EgressRecord[] = [];
    const guard = createEgressGuard({ tool: 't', undiciAgent: Agent, onRecord: (r) => records.push(r) });
    guard.setCall('call-2');
    try {
      expect(await viaFetch(guard, 'http://not-listed.sandbox.test/')).toBe('error ERR_SANDBOX_EGRESS_DENIED');
      expect(records).toEqual([
        expect.objectContaining({ callId: 'call-2', allowed: false, reason: 'host-not-allowed' }),
      ]);
    } finally {
      await guard.close();
    }
  });
});

describe('the in-process guard when the pinned address refuses the connection', () => {
  it('fails the request and records upstream-failed once, never as allowed', async () => {
    const closed = await echoServer('127.0.0.2');
    const port = closed.port;
    await closed.close();
    const records: EgressRecord[] = [];
    const spy = loopbackOnlyConnect();
    const guard = createEgressGuard({
      tool: 't',
      policy: { allow: [{ host: 'gone.sandbox.test', ports: [port] }], unsafeAllowAddresses: ['127.0.0.2'] },
      resolve: stubResolver({ 'gone.sandbox.test': ['127.0.0.2'] }).resolve,
      connect: spy.fn,
      onRecord: (r) => records.push(r),
    });
    try {
      expect(await viaGet(httpGet, { host: 'gone.sandbox.test', port, path: '/', agent: guard.httpAgent })).toBe(
        'error ECONNREFUSED',
      );
      await vi.waitFor(() => expect(records).toHaveLength(1), 5_000);
      expect(records).toEqual([expect.objectContaining({ allowed: false, reason: 'upstream-failed' })]);
    } finally {
      await guard.close();
    }
  });
});
