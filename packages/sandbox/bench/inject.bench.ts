/**
 * What terminating TLS to inject credentials costs: one HTTPS request through the broker to a host with
 * `inject` (the broker answers the tool's TLS with its own certificate, then opens and verifies its own
 * TLS connection to the server) against the same request through a plain CONNECT tunnel (end-to-end TLS),
 * both measured here, in the same run, against loopback servers. Each request opens a new tunnel, as a
 * sandboxed tool's agents do (no keep-alive).
 */
import { Agent as HttpsAgent, request } from 'node:https';
import { loadavg } from 'node:os';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type BenchResult, percentile } from '../../../.config/bench-kit.js';
import { createEgressBroker } from '../src/broker.js';
import { selfIssuedHttpsServer } from '../test/helpers.js';

/** A throwaway CA and an HTTPS server on 127.0.0.1 for `host`. */
const server = (host: string) =>
  selfIssuedHttpsServer(host, '127.0.0.1', (req, res) =>
    res.end(`{"ok":${req.headers.authorization === 'Bearer bench'}}`),
  );

/** An https agent that reaches `host:port` through the broker's CONNECT, as a sandboxed process does. */
function tunnelAgent(brokerPath: string, ca: string): HttpsAgent {
  class A extends HttpsAgent {}
  Object.defineProperty(A.prototype, 'createConnection', {
    value(o: { host: string; port: number }, cb: (e: Error | null, s?: Socket) => void) {
      const s = netConnect(brokerPath);
      let buf = '';
      const onData = (c: Buffer) => {
        buf += c.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        s.off('data', onData);
        if (!buf.startsWith('HTTP/1.1 200')) return cb(new Error(buf.split('\r\n')[0]));
        cb(null, tlsConnect({ socket: s, servername: o.host, ca }));
      };
      s.on('data', onData);
      s.once('error', (e) => cb(e));
      s.write(`CONNECT ${o.host}:${o.port} HTTP/1.1\r\nhost: ${o.host}\r\n\r\n`);
    },
  });
  return new A({ keepAlive: false });
}

function get(url: string, agent: HttpsAgent): Promise<string> {
  return new Promise((ok, fail) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => ok(body));
    })
      .once('error', fail)
      .end();
  });
}

export async function run(): Promise<BenchResult[]> {
  const plain = await server('plain.bench.test');
  const injected = await server('inject.bench.test');
  const broker = createEgressBroker({
    tool: 'bench',
    policy: {
      allow: [
        { host: 'plain.bench.test', ports: [plain.port] },
        { host: 'inject.bench.test', ports: [injected.port], inject: { authorization: 'Bearer bench' } },
      ],
      unsafeAllowAddresses: ['127.0.0.1'],
    },
    resolve: async () => ['127.0.0.1'],
    tls: { ca: injected.ca },
  });
  const endpoint = await broker.open();
  const viaTunnel = tunnelAgent(endpoint.path, plain.ca);
  const viaBroker = tunnelAgent(endpoint.path, broker.caCertificate as string);
  const plainUrl = `https://plain.bench.test:${plain.port}/`;
  const injectUrl = `https://inject.bench.test:${injected.port}/`;
  if ((await get(injectUrl, viaBroker)) !== '{"ok":true}') throw new Error('the header was not injected');
  if ((await get(plainUrl, viaTunnel)) !== '{"ok":false}') throw new Error('the plain tunnel is broken');

  // Interleaved, so both see the same load; 50 of each to warm up.
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 350; i++) {
    let t = performance.now();
    await get(plainUrl, viaTunnel);
    if (i >= 50) a.push(performance.now() - t);
    t = performance.now();
    await get(injectUrl, viaBroker);
    if (i >= 50) b.push(performance.now() - t);
  }
  await endpoint.close();
  await broker.close();
  await plain.close();
  await injected.close();
  const pa = percentile(a, 0.5);
  const pb = percentile(b, 0.5);
  return [
    {
      name: 'HTTPS request through a CONNECT tunnel (baseline)',
      opsPerSec: 1000 / pa,
      note: `p50 ${pa.toFixed(2)} ms, p99 ${percentile(a, 0.99).toFixed(2)} ms per request, new tunnel each`,
    },
    {
      name: 'HTTPS request with injected credentials (broker terminates TLS)',
      opsPerSec: 1000 / pb,
      baseline: 'HTTPS request through a CONNECT tunnel (baseline)',
      ratio: pa / pb,
      note: `p50 ${pb.toFixed(2)} ms (+${(pb - pa).toFixed(2)} ms: a second handshake and the leaf from cache), p99 ${percentile(b, 0.99).toFixed(2)} ms; load average ${loadavg()[0]?.toFixed(1)}`,
    },
  ];
}
