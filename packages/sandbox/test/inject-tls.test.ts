import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapAvailable } from '../src/platform.js';
import type { SandboxEvent } from '../src/runner.js';
import { sandboxed } from '../src/sandboxed.js';
import { hasOpenssl, loopbackOnlyConnect, tlsEchoServer } from './helpers.js';
import { stubResolver } from './ssrf-corpus.js';

const openssl = hasOpenssl();
const SECRET = 'Bearer s3cret-token-never-in-the-tool';

describe(`credential injection into HTTPS (the broker terminates TLS), openssl here: ${openssl ? 'available' : 'NOT available'}`, () => {
  if (!openssl) {
    it('openssl is installed in CI (.ci/run), so only a developer machine without it skips the TLS tests', () => {
      expect(process.env.CI).not.toBe('true');
    });
    return;
  }
  let server: Awaited<ReturnType<typeof tlsEchoServer>>;
  let impostor: Awaited<ReturnType<typeof tlsEchoServer>>;
  beforeAll(async () => {
    server = await tlsEchoServer('api.sandbox.test');
    impostor = await tlsEchoServer('api.sandbox.test', '127.0.0.3');
  });
  afterAll(async () => {
    await server.close();
    await impostor.close();
  });

  const run = async (
    isolation: 'process' | 'bwrap',
    o: { host: string; port: number; address: string; ca: string },
  ) => {
    const spy = loopbackOnlyConnect();
    const events: SandboxEvent[] = [];
    const tool = sandboxed({
      tool: 'inject-probe',
      module: new URL('./fixtures/egress.mjs', import.meta.url),
      export: 'injected',
      isolation,
      deadlineMs: 30_000,
      egress: {
        allow: [{ host: o.host, ports: [o.port], inject: { authorization: SECRET } }],
        unsafeAllowAddresses: [o.address],
      },
      tls: { ca: o.ca },
      resolve: stubResolver({ [o.host]: [o.address] }).resolve,
      connect: spy.fn,
      onEvent: (e) => events.push(e),
    });
    try {
      const r = (await tool.execute(
        { url: `https://${o.host}:${o.port}/v1/data?q=1` },
        { callId: 'inject-1', agent: 'did:key:test' },
      )) as Record<string, { status?: number; body?: string; error?: string; sent?: object; egress?: string }> & {
        env: string;
      };
      expect(spy.violations).toEqual([]);
      return { r, spy, egress: events.filter((e) => e.type === 'sandbox.egress') };
    } finally {
      await tool.close();
    }
  };

  for (const isolation of ['process', ...(bwrapAvailable().ok ? ['bwrap' as const] : [])] as const) {
    it(`${isolation}: fetch and https.request reach the server with the injected header; the tool never holds it`, async () => {
      const before = server.seen.length;
      const { r, spy, egress } = await run(isolation, {
        host: 'api.sandbox.test',
        port: server.port,
        address: '127.0.0.2',
        ca: server.ca,
      });
      const body = { secure: true, url: '/v1/data?q=1', host: `api.sandbox.test:${server.port}` };
      expect(r.fetch).toEqual({ status: 200, body: JSON.stringify(body), egress: null });
      expect(r.https).toMatchObject({ status: 200, body: JSON.stringify(body) });
      // The server saw the secret on both requests; the tool sent none and has none in its environment.
      const seen = server.seen.slice(before);
      expect(seen.map((s) => s.headers.authorization)).toEqual([SECRET, SECRET]);
      expect(JSON.stringify(r.https?.sent)).not.toContain('s3cret');
      expect(r.env).not.toContain('s3cret');
      expect(JSON.stringify(r)).not.toContain('s3cret');
      // Both requests went to the pinned address only, each over the broker's own verified connection.
      expect(spy.attempts).toEqual([`127.0.0.2:${server.port}`, `127.0.0.2:${server.port}`]);
      const served = {
        kind: 'https',
        host: 'api.sandbox.test',
        address: '127.0.0.2',
        allowed: true,
        callId: 'inject-1',
      };
      expect(egress).toEqual([expect.objectContaining(served), expect.objectContaining(served)]);
      expect(egress.every((e) => (e as { bytesIn: number }).bytesIn === JSON.stringify(body).length)).toBe(true);
    });

    const refusals = [
      // The impostor's certificate names the host, but the broker trusts only the real server's.
      { what: 'a server whose certificate the broker does not trust', host: 'api.sandbox.test', impostor: true },
      // The real server, trusted, but its certificate is for another name than the one requested.
      { what: 'a trusted certificate for another name', host: 'other.sandbox.test', impostor: false },
    ];
    for (const c of refusals) {
      it(`${isolation}: ${c.what} gets no request and no secret`, async () => {
        const target = c.impostor ? impostor : server;
        const before = target.seen.length;
        const { r, egress } = await run(isolation, {
          host: c.host,
          port: target.port,
          address: c.impostor ? '127.0.0.3' : '127.0.0.2',
          ca: server.ca,
        });
        expect(target.seen.length).toBe(before);
        expect(r.fetch?.status).toBeUndefined();
        expect(r.https?.status).toBeUndefined();
        expect(r.https?.error).toBe('ERR_SANDBOX_EGRESS_DENIED');
        expect(egress.length).toBe(2);
        for (const e of egress)
          expect(e).toMatchObject({ kind: 'https', allowed: false, reason: 'upstream-untrusted' });
      });
    }
  }
});
