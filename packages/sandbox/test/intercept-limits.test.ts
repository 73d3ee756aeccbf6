import { createServer as createTcpServer, type AddressInfo, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerEndpoint, createEgressBroker, type EgressRecord } from '../src/broker.js';
import { createInterceptor } from '../src/intercept.js';
import { createInterceptCa } from '../src/intercept-ca.js';
import { loopbackOnlyConnect, selfIssuedHttpsServer } from './helpers.js';

const HOST = 'api.limits.test';

describe('limits of a terminated tunnel', () => {
  const spy = loopbackOnlyConnect();
  const records: EgressRecord[] = [];
  /** Requests the upstream has received and is holding (it never answers them). */
  let held = 0;
  let https: Awaited<ReturnType<typeof selfIssuedHttpsServer>>;
  let broker: ReturnType<typeof createEgressBroker>;
  let endpoint: BrokerEndpoint;
  /** A TCP server whose accepted sockets are handed to an interceptor with short timeouts. */
  let front: Server;
  const ca = createInterceptCa();

  beforeAll(async () => {
    https = await selfIssuedHttpsServer(HOST, '127.0.0.2', () => {
      held++;
    });
    broker = createEgressBroker({
      tool: 'limits',
      policy: {
        allow: [{ host: HOST, ports: [https.port], inject: { authorization: 'Bearer x' } }],
        unsafeAllowAddresses: ['127.0.0.2'],
      },
      resolve: async () => ['127.0.0.2'],
      connect: spy.fn,
      tls: { ca: https.ca },
      onRecord: (r) => records.push(r),
    });
    endpoint = await broker.open();
    const intercept = createInterceptor({
      ca,
      connect: spy.fn,
      tls: { ca: https.ca },
      limits: { toolHandshakeMs: 200, headersMs: 200 },
    });
    front = createTcpServer((client) => {
      client.on('error', () => {});
      intercept(
        { client, head: Buffer.alloc(0), host: HOST, port: https.port, address: '127.0.0.2', inject: {} },
        (r) => records.push({ tool: 'front', callId: 'none', ...r }),
      );
    });
    await new Promise<void>((ok) => front.listen(0, '127.0.0.1', ok));
  });
  afterAll(async () => {
    await broker.close();
    await https.close();
    await new Promise<void>((ok) => front.close(() => ok()));
    expect(spy.violations).toEqual([]);
  });

  /** Connects to the short-timeout interceptor and waits for its 200. */
  const granted = () =>
    new Promise<Socket>((ok, fail) => {
      const s = connect((front.address() as AddressInfo).port, '127.0.0.1');
      let buf = '';
      const onData = (c: Buffer) => {
        buf += c.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        s.off('data', onData);
        if (buf.startsWith('HTTP/1.1 200')) ok(s);
        else fail(new Error(buf));
      };
      s.on('data', onData);
      s.on('error', fail);
    });
  const closed = (s: Socket) =>
    new Promise<number>((ok) => {
      const t0 = Date.now();
      if (s.destroyed) return ok(0);
      s.once('close', () => ok(Date.now() - t0));
    });

  it('closes a tunnel whose tool never starts its TLS handshake', async () => {
    const s = await granted();
    expect(await closed(s)).toBeLessThan(2000);
  });

  it('closes a tunnel whose tool finishes TLS but never finishes a request’s headers', async () => {
    const s = await granted();
    const t: TLSSocket = tlsConnect({ socket: s, servername: HOST, ca: ca.certificate });
    t.on('error', () => {});
    await new Promise<void>((ok) => t.once('secureConnect', () => ok()));
    t.write('GET / HTTP/1.1\r\nhost: x\r\n'); // no blank line: the headers never end
    expect(await closed(s)).toBeLessThan(2000);
  });

  it('opens at most 8 upstream connections at once for pipelined requests on one tunnel', async () => {
    const attempts = spy.attempts.length;
    const n = records.length;
    const t = await new Promise<TLSSocket>((ok, fail) => {
      const s = connect(endpoint.path);
      let buf = '';
      const onData = (c: Buffer) => {
        buf += c.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        s.off('data', onData);
        const tls = tlsConnect({ socket: s, servername: HOST, ca: broker.caCertificate as string });
        tls.once('secureConnect', () => ok(tls));
        tls.once('error', fail);
      };
      s.on('data', onData);
      s.on('error', fail);
      s.write(`CONNECT ${HOST}:${https.port} HTTP/1.1\r\nhost: x\r\n\r\n`);
    });
    t.on('error', () => {});
    t.write('GET /held HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(12));
    // Records of the broker's tunnels only (the short-timeout interceptor above writes tool 'front').
    const mine = () => records.slice(n).filter((r) => r.tool === 'limits');
    for (let i = 0; i < 100 && mine().length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    // The 8 allowed tunnels connect upstream (resolve, TCP, TLS) at the machine's pace: wait for them, then check
    // that no ninth follows.
    for (let i = 0; i < 500 && spy.attempts.length - attempts < 8; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(spy.attempts.length - attempts).toBe(8);
    expect(held).toBe(8);
    expect(mine()).toEqual(
      Array.from({ length: 4 }, () =>
        expect.objectContaining({ allowed: false, detail: 'more than 8 concurrent requests on one tunnel' }),
      ),
    );
    t.destroy();
  });
});
