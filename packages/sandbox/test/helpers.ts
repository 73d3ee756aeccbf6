import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** A connect spy: records every upstream attempt and fails the test on any non-loopback address. */
export function loopbackOnlyConnect() {
  const attempts: string[] = [];
  const violations: string[] = [];
  const fn = (address: string, port: number): Socket => {
    attempts.push(`${address}:${port}`);
    if (!(address.startsWith('127.') || address === '::1')) {
      violations.push(address);
      throw new Error(`test network rule: refused to connect to ${address}`);
    }
    return connect({ host: address, port });
  };
  return { fn, attempts, violations };
}

/** An HTTP server on a loopback address (127.0.0.1 by default) that echoes what it received. */
export async function echoServer(
  host = '127.0.0.1',
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, host, ok));
  const port = (server.address() as AddressInfo).port;
  return { server, port, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}
