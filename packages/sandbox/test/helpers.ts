import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { issueCa, issueLeaf } from '../src/x509.js';

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

/** Whether `openssl` is on this machine (it makes the throwaway certificate for the HTTPS tests). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * An HTTPS echo server on a loopback address with a self-signed certificate for `name`, made for this run
 * by `openssl` (independent of the broker's own certificate code). Returns the certificate to trust as `ca`,
 * and every request it received (`seen`).
 */
export async function tlsEchoServer(
  name: string,
  host = '127.0.0.2',
): Promise<{
  port: number;
  ca: string;
  seen: { url: string; headers: Record<string, unknown> }[];
  close: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-tls-'));
  const seen: { url: string; headers: Record<string, unknown> }[] = [];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const server = createHttpsServer({ key, cert }, (req, res) => {
    seen.push({ url: req.url ?? '', headers: { ...req.headers } });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ secure: true, url: req.url, host: req.headers.host }));
  });
  await new Promise<void>((ok) => server.listen(0, host, ok));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    ca: cert,
    seen,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * An HTTPS server on a loopback address for `host`, with a certificate from a throwaway CA made by the
 * package's own X.509 writer (no openssl needed). Returns the CA certificate to trust as `ca`.
 */
export async function selfIssuedHttpsServer(
  host: string,
  address: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ ca: string; port: number; close: () => Promise<void> }> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const ca = issueCa({ key: k.privateKey, publicKey: k.publicKey, name: 'throwaway ca', nowMs: now, ttlMs: 3600_000 });
  const leaf = issueLeaf({
    host,
    publicKey: k.publicKey,
    ca,
    caKey: k.privateKey,
    caName: 'throwaway ca',
    caPublicKey: k.publicKey,
    nowMs: now,
    ttlMs: 3600_000,
  });
  const server = createHttpsServer(
    { key: k.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: leaf.pem },
    handler,
  );
  await new Promise<void>((ok) => server.listen(0, address, ok));
  return {
    ca: ca.pem,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
