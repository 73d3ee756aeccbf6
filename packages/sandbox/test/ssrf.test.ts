import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapAvailable } from '../src/platform.js';
import type { SandboxEvent } from '../src/runner.js';
import { sandboxed } from '../src/sandboxed.js';
import { echoServer, loopbackOnlyConnect } from './helpers.js';
import { SSRF_CORPUS, stubResolver } from './ssrf-corpus.js';

const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
// Node's URL parser has no IPv6 zones: that form is covered by the broker test instead.
const URLS = SSRF_CORPUS.filter((c) => !c.host.includes('%')).flatMap((c) => [
  `http://${bracket(c.host)}/`,
  `https://${bracket(c.host)}/`,
]);

for (const isolation of ['process', ...(bwrapAvailable().ok ? ['bwrap' as const] : [])] as const) {
  describe(`SSRF corpus from inside a sandboxed tool (${isolation}), fetch and http(s)`, () => {
    const spy = loopbackOnlyConnect();
    const stub = stubResolver({ 'api.sandbox.test': ['127.0.0.2'], 'open.sandbox.test': ['127.0.0.2'] });
    const events: SandboxEvent[] = [];
    let server: Awaited<ReturnType<typeof echoServer>>;
    let tool: ReturnType<typeof sandboxed>;
    beforeAll(async () => {
      server = await echoServer('127.0.0.2');
      tool = sandboxed({
        tool: 'probe',
        module: new URL('./fixtures/egress.mjs', import.meta.url),
        isolation,
        deadlineMs: 60_000,
        egress: {
          allow: [
            ...SSRF_CORPUS.filter((c) => c.resolvesTo !== undefined).map((c) => ({ host: c.host, ports: [80, 443] })),
            { host: 'api.sandbox.test', ports: [server.port], inject: { 'x-api-key': 'held-by-broker' } },
            { host: 'open.sandbox.test', ports: [server.port] },
          ],
          unsafeAllowAddresses: ['127.0.0.2'],
        },
        resolve: stub.resolve,
        connect: spy.fn,
        onEvent: (e) => events.push(e),
      });
    });
    afterAll(async () => {
      await tool.close();
      await server.close();
    });

    it(`refuses all ${URLS.length / 2} forms over http and https, with fetch and with http.get`, async () => {
      const results = (await tool.execute({ urls: URLS }, { callId: 'ssrf-1', agent: 'did:key:test' })) as {
        url: string;
        fetch: string;
        http: string;
      }[];
      expect(results).toHaveLength(URLS.length);
      for (const r of results) {
        // Plain HTTP gets the broker's 403; HTTPS fails at CONNECT, before any TLS.
        const refused = /^(status 403 |error ERR_SANDBOX_EGRESS_DENIED)/;
        expect(r.fetch, `${r.url} with fetch`).toMatch(refused);
        expect(r.http, `${r.url} with http.get`).toMatch(refused);
      }
      expect(spy.attempts).toEqual([]);
      expect(spy.violations).toEqual([]);
      const egress = events.filter((e) => e.type === 'sandbox.egress');
      expect(egress.length).toBeGreaterThanOrEqual(URLS.length * 2);
      expect(egress.every((e) => e.type === 'sandbox.egress' && !e.allowed && e.callId === 'ssrf-1')).toBe(true);
    });

    it(
      isolation === 'bwrap'
        ? 'has no route out but the broker (network namespace)'
        : 'does not confine raw sockets (documented limit of the process runner)',
      async () => {
        const direct = sandboxed({
          tool: 'direct',
          module: new URL('./fixtures/egress.mjs', import.meta.url),
          export: 'direct',
          isolation,
          warm: 0,
        });
        try {
          const r = await direct.execute(
            { host: '127.0.0.2', port: server.port },
            { callId: 'direct-1', agent: 'did:key:test' },
          );
          expect(r).toBe(isolation === 'bwrap' ? 'error ECONNREFUSED' : 'connected');
        } finally {
          await direct.close();
        }
      },
    );

    it('reaches an allowed host through the broker over plain HTTP, pinned', async () => {
      const url = `http://open.sandbox.test:${server.port}/v1`;
      const [r] = (await tool.execute({ urls: [url] }, { callId: 'ok-1', agent: 'did:key:test' })) as {
        fetch: string;
        http: string;
      }[];
      expect(r?.fetch).toMatch(/^status 200 /);
      const seen = JSON.parse(r?.fetch.replace(/^status 200 /, '') ?? '{}') as { headers: Record<string, string> };
      expect(seen.headers.host).toBe(`open.sandbox.test:${server.port}`);
      expect(seen.headers['x-api-key']).toBeUndefined();
      expect(r?.http).toBe('status 200');
      expect(spy.violations).toEqual([]);
      expect(spy.attempts.every((a) => a.startsWith('127.0.0.2:'))).toBe(true);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'sandbox.egress', callId: 'ok-1', allowed: true, address: '127.0.0.2' }),
      );
    });

    it('never sends an injected credential over plain HTTP (inject-needs-tls)', async () => {
      const attempts = spy.attempts.length;
      const url = `http://api.sandbox.test:${server.port}/v1`;
      const [r] = (await tool.execute({ urls: [url] }, { callId: 'inj-1', agent: 'did:key:test' })) as {
        fetch: string;
        http: string;
      }[];
      expect(r?.fetch).toBe('status 403 inject-needs-tls');
      expect(r?.http).toBe('status 403 inject-needs-tls');
      expect(spy.attempts.length).toBe(attempts);
    });
  });
}
