import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapAvailable } from '../src/platform.js';
import type { SandboxEvent } from '../src/runner.js';
import { sandboxed } from '../src/sandboxed.js';
import { hasOpenssl, loopbackOnlyConnect, tlsEchoServer } from './helpers.js';
import { stubResolver } from './ssrf-corpus.js';

const openssl = hasOpenssl();

describe(`HTTPS through the broker's CONNECT tunnel, openssl here: ${openssl ? 'available' : 'NOT available'}`, () => {
  if (!openssl) {
    it('openssl is installed in CI (.ci/run), so only a developer machine without it skips the TLS tests', () => {
      expect(process.env.CI).not.toBe('true');
    });
    return;
  }
  let tls: Awaited<ReturnType<typeof tlsEchoServer>>;
  beforeAll(async () => {
    tls = await tlsEchoServer('secure.sandbox.test');
  });
  afterAll(async () => {
    await tls.close();
  });

  for (const isolation of ['process', ...(bwrapAvailable().ok ? ['bwrap' as const] : [])] as const) {
    it(`a sandboxed tool (${isolation}) gets end-to-end TLS to the pinned address, verified for the name`, async () => {
      const spy = loopbackOnlyConnect();
      const stub = stubResolver({ 'secure.sandbox.test': ['127.0.0.2'] });
      const events: SandboxEvent[] = [];
      const tool = sandboxed({
        tool: 'tls-probe',
        module: new URL('./fixtures/egress.mjs', import.meta.url),
        export: 'httpsWithCa',
        isolation,
        deadlineMs: 30_000,
        egress: {
          allow: [{ host: 'secure.sandbox.test', ports: [tls.port] }],
          unsafeAllowAddresses: ['127.0.0.2'],
        },
        resolve: stub.resolve,
        connect: spy.fn,
        onEvent: (e) => events.push(e),
      });
      try {
        const r = await tool.execute(
          { url: `https://secure.sandbox.test:${tls.port}/through-tunnel`, ca: tls.ca },
          { callId: 'tls-1', agent: 'did:key:test' },
        );
        expect(r).toEqual({
          status: 200,
          authorized: true,
          body: { secure: true, url: '/through-tunnel', host: `secure.sandbox.test:${tls.port}` },
        });
        expect(spy.attempts).toEqual([`127.0.0.2:${tls.port}`]);
        expect(spy.violations).toEqual([]);
      } finally {
        await tool.close();
      }
      const egress = events.filter((e) => e.type === 'sandbox.egress');
      expect(egress).toEqual([
        expect.objectContaining({ kind: 'connect', host: 'secure.sandbox.test', address: '127.0.0.2', allowed: true }),
      ]);
    });
  }
});
