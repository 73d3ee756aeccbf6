/**
 * Ed25519 sign/s and verify/s on each backend (node:crypto, @noble/ed25519)
 * against raw node:crypto with a reused KeyObject, all in the same run; and
 * canonicalize/parseJson of a typical 1 KB tool-args object against
 * JSON.stringify/JSON.parse.
 */
import { canonicalize, parseJson } from '@agentguard/statement';
import { publicKeyOf, setCryptoBackend, sign, verify } from '../src/ed25519/ed25519.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

function measure(fn: () => unknown, ms: number, warmMs: number): number {
  const warmEnd = performance.now() + warmMs;
  while (performance.now() < warmEnd) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 8; i++) fn();
    n += 8;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/** Measures the cases in interleaved rounds and keeps each one's best, so a burst of load skews no ratio. */
function interleaved(cases: Record<string, () => unknown>, rounds = 3, ms = 350): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      best[name] = Math.max(best[name] ?? 0, measure(fn, ms, r === 0 ? 200 : 30));
    }
  }
  return best;
}

/** A typical tool call's arguments, about 1 KB of canonical JSON. */
export const TOOL_ARGS = {
  tool: 'crm.updateCustomer',
  requestId: '9f1c2d7e-4b1a-4c55-9d0e-3f6a2b8c1e77',
  customer: {
    id: 'cus_01HZX5T9Q2',
    name: 'Ana Müller',
    email: 'ana.mueller@example.com',
    tags: ['vip', 'eu', 'newsletter'],
    address: { street: 'Hauptstraße 12', city: 'Berlin', postcode: '10115', country: 'DE' },
  },
  changes: [
    { op: 'replace', path: '/phone', value: '+49 30 1234567' },
    { op: 'add', path: '/notes/-', value: 'Asked for a refund of order A-17; approved by support lead.' },
    { op: 'remove', path: '/legacyId' },
  ],
  order: { id: 'A-17', amount: 129.95, currency: 'EUR', items: [3, 1, 4, 1, 5, 9, 2, 6] },
  options: { dryRun: false, notify: true, reason: 'customer request via chat', retries: 2, timeoutMs: 15000 },
  context: { agent: 'support-bot', session: 's-42', locale: 'de-DE', issuedAt: 1764201600000, nonce: 'q8Zr1VbKp0' },
  attachments: [
    {
      name: 'invoice-A-17.pdf',
      sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
      bytes: 48213,
    },
    {
      name: 'chat-transcript.txt',
      sha256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
      bytes: 3190,
    },
  ],
};

export async function run(): Promise<BenchResult[]> {
  const nc = process.getBuiltinModule('node:crypto');
  const secret = new Uint8Array(32).fill(7);
  const message = new TextEncoder().encode(canonicalize(TOOL_ARGS)); // what gets signed per call
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKeyOf(secret)]);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secret]);
  const rawPrivate = nc.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const rawPublic = nc.createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const publicKey = publicKeyOf(secret);
  const signature = sign(message, secret);
  const text = canonicalize(TOOL_ARGS);

  const onBackend = (name: 'node' | 'noble', fn: () => unknown) => () => {
    setCryptoBackend(name);
    return fn();
  };
  const r = interleaved({
    rawSign: () => nc.sign(null, message, rawPrivate),
    nodeSign: onBackend('node', () => sign(message, secret)),
    nobleSign: onBackend('noble', () => sign(message, secret)),
    rawVerify: () => nc.verify(null, message, rawPublic, signature),
    rawVerifyReimport: () =>
      nc.verify(null, message, nc.createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature),
    nodeVerify: onBackend('node', () => verify(signature, message, publicKey)),
    nobleVerify: onBackend('noble', () => verify(signature, message, publicKey)),
    stringify: () => JSON.stringify(TOOL_ARGS),
    canonicalize: () => canonicalize(TOOL_ARGS),
    jsonParse: () => JSON.parse(text),
    parseJson: () => parseJson(text),
  });
  setCryptoBackend('auto');

  const raw = (n: string) => `raw node:crypto ${n}`;
  const kb = `${(text.length / 1024).toFixed(2)} KB`;
  return [
    { name: 'ed25519 sign, raw node:crypto (KeyObject reused)', opsPerSec: r.rawSign ?? 0 },
    {
      name: 'ed25519 sign, node backend',
      opsPerSec: r.nodeSign ?? 0,
      baseline: raw('sign'),
      ratio: (r.nodeSign ?? 0) / (r.rawSign ?? 1),
    },
    {
      name: 'ed25519 sign, noble backend',
      opsPerSec: r.nobleSign ?? 0,
      baseline: raw('sign'),
      ratio: (r.nobleSign ?? 0) / (r.rawSign ?? 1),
      note: `node backend is ${((r.nodeSign ?? 0) / (r.nobleSign ?? 1)).toFixed(1)}x faster`,
    },
    { name: 'ed25519 verify, raw node:crypto (KeyObject reused)', opsPerSec: r.rawVerify ?? 0 },
    {
      name: 'ed25519 verify, raw node:crypto re-importing the key',
      opsPerSec: r.rawVerifyReimport ?? 0,
      baseline: raw('verify'),
      ratio: (r.rawVerifyReimport ?? 0) / (r.rawVerify ?? 1),
      note: 'why the node backend caches imported keys',
    },
    {
      name: 'ed25519 verify, node backend (strict checks + key cache)',
      opsPerSec: r.nodeVerify ?? 0,
      baseline: raw('verify'),
      ratio: (r.nodeVerify ?? 0) / (r.rawVerify ?? 1),
    },
    {
      name: 'ed25519 verify, noble backend',
      opsPerSec: r.nobleVerify ?? 0,
      baseline: raw('verify'),
      ratio: (r.nobleVerify ?? 0) / (r.rawVerify ?? 1),
      note: `node backend is ${((r.nodeVerify ?? 0) / (r.nobleVerify ?? 1)).toFixed(1)}x faster`,
    },
    { name: `JSON.stringify, ${kb} tool args`, opsPerSec: r.stringify ?? 0 },
    {
      name: `canonicalize (RFC 8785), ${kb} tool args`,
      opsPerSec: r.canonicalize ?? 0,
      baseline: 'JSON.stringify',
      ratio: (r.canonicalize ?? 0) / (r.stringify ?? 1),
    },
    { name: `JSON.parse, ${kb} tool args`, opsPerSec: r.jsonParse ?? 0 },
    {
      name: `parseJson (strict), ${kb} tool args`,
      opsPerSec: r.parseJson ?? 0,
      baseline: 'JSON.parse',
      ratio: (r.parseJson ?? 0) / (r.jsonParse ?? 1),
    },
  ];
}
