import { generateKeyPairSync } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { type Issued, issueCa, issueLeaf } from './x509.js';

/** The broker's own certificate authority, for the hosts it terminates TLS for (credential injection). */
export interface InterceptCa {
  /** The CA certificate (PEM): the only thing the sandboxed process is given, to trust it. */
  readonly certificate: string;
  /** A TLS server context with a certificate for `host`, signed by this CA (made once, then cached). */
  contextFor(host: string): SecureContext;
}

const CA_TTL_MS = 7 * 24 * 3600_000;
const LEAF_TTL_MS = 24 * 3600_000;
/** A cached leaf is re-issued once less than this is left of it. */
const RENEW_MS = 3600_000;
/** Leaves kept; a wildcard rule can name any number of hosts, so the cache is bounded. */
const MAX_LEAVES = 256;

/**
 * Creates a CA for one broker: a fresh P-256 key that lives in this process's memory only (never written
 * anywhere, never sent to the sandbox), and a self-signed certificate for it. Every leaf shares one key,
 * also in memory only; each is valid for its one host, a day at most.
 */
export function createInterceptCa(clock: () => number = Date.now): InterceptCa {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leafKeyPem = leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const caName = `AgentGuard egress broker ${process.pid}`;
  let caCert: Issued | undefined;
  const leaves = new Map<string, { cert: Issued; context: SecureContext }>();

  const currentCa = (now: number): Issued => {
    if (caCert === undefined || caCert.notAfter - now < RENEW_MS) {
      // The CA outliving its week (a long-running broker) would break every new process: renew it too.
      caCert = issueCa({ key: ca.privateKey, publicKey: ca.publicKey, name: caName, nowMs: now, ttlMs: CA_TTL_MS });
      leaves.clear();
    }
    return caCert;
  };
  currentCa(clock());

  return Object.freeze({
    get certificate() {
      return currentCa(clock()).pem;
    },
    contextFor(host: string): SecureContext {
      const now = clock();
      const issuer = currentCa(now);
      const hit = leaves.get(host);
      if (hit !== undefined && hit.cert.notAfter - now >= RENEW_MS) return hit.context;
      const cert = issueLeaf({
        host,
        publicKey: leafKey.publicKey,
        ca: issuer,
        caKey: ca.privateKey,
        caName,
        caPublicKey: ca.publicKey,
        nowMs: now,
        ttlMs: LEAF_TTL_MS,
      });
      const context = createSecureContext({ key: leafKeyPem, cert: cert.pem + issuer.pem });
      if (leaves.size >= MAX_LEAVES) leaves.clear();
      leaves.set(host, { cert, context });
      return context;
    },
  });
}
