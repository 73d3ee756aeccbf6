import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * Just enough X.509 (RFC 5280) to let the broker terminate TLS for hosts it injects credentials into:
 * a self-signed CA and leaf certificates it signs, all ECDSA P-256 with SHA-256. DER (X.690) written by
 * hand over node:crypto, so no dependency; node:crypto's `X509Certificate` parses and checks the output.
 */

/** DER tag-length-value (X.690 §8.1): definite length, short form under 128, long form above. */
function tlv(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Uint8Array[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, body: Uint8Array) => tlv(0xa0 | n, body);
const octets = (b: Uint8Array) => tlv(0x04, b);
const bitString = (b: Uint8Array, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));

/** A non-negative INTEGER (X.690 §8.3): minimal, with a leading zero when the top bit is set. */
function integer(b: Uint8Array): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && ((b[i + 1] as number) & 0x80) === 0) i++;
  const v = Buffer.from(b.subarray(i));
  return tlv(0x02, ((v[0] as number) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** An OBJECT IDENTIFIER (X.690 §8.19): first two arcs folded, the rest base-128. */
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * (arcs[0] as number) + (arcs[1] as number)];
  for (const arc of arcs.slice(2)) {
    const b = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = Number(iso.slice(0, 4));
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2')); // RFC 5758 §3.2: no parameters

/** A Name of one CN (RFC 5280 §4.1.2.4), as UTF8String. */
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));

const extension = (id: string, critical: boolean, value: Uint8Array) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** The subject key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
function keyId(spki: Buffer): Buffer {
  // The SPKI of a P-256 key ends with the BIT STRING of the 65-byte uncompressed point.
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

/** A certificate and the facts needed to issue under it. */
export interface Issued {
  /** DER bytes. */
  readonly der: Buffer;
  /** PEM text. */
  readonly pem: string;
  /** Expiry, in ms since the epoch. */
  readonly notAfter: number;
}

interface CertFields {
  readonly subject: string;
  readonly issuer: string;
  readonly publicKey: KeyObject;
  readonly signingKey: KeyObject;
  readonly issuerKeyId: Buffer;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly extensions: readonly Buffer[];
}

function build(f: CertFields): Issued {
  const spki = f.publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01; // positive, never zero (RFC 5280 §4.1.2.2)
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_SHA256,
    name(f.issuer),
    seq(time(f.notBefore), time(f.notAfter)),
    name(f.subject),
    spki,
    explicit(
      3,
      seq(
        ...f.extensions,
        extension('2.5.29.14', false, octets(keyId(spki))),
        extension('2.5.29.35', false, seq(tlv(0x80, f.issuerKeyId))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, f.signingKey); // DER ECDSA-Sig-Value, as X.509 wants it
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    der,
    pem: `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`,
    notAfter: f.notAfter,
  };
}

/** Clock skew a fresh certificate tolerates: it is valid from this long before it was made. */
const SKEW_MS = 3600_000;

/**
 * A self-signed CA certificate for `key` (ECDSA P-256): CA, no intermediates below it (pathLen 0), for
 * signing certificates only.
 */
export function issueCa(options: { key: KeyObject; publicKey: KeyObject; name: string; nowMs: number; ttlMs: number }) {
  const spki = options.publicKey.export({ type: 'spki', format: 'der' });
  return build({
    subject: options.name,
    issuer: options.name,
    publicKey: options.publicKey,
    signingKey: options.key,
    issuerKeyId: keyId(spki),
    notBefore: options.nowMs - SKEW_MS,
    notAfter: options.nowMs + options.ttlMs,
    extensions: [
      extension('2.5.29.19', true, seq(bool(true), integer(Buffer.from([0])))), // basicConstraints: CA, pathLen 0
      extension('2.5.29.15', true, bitString(Buffer.from([0x06]), 1)), // keyUsage: keyCertSign, cRLSign
    ],
  });
}

/**
 * A server certificate for `host` (a DNS name, or an IPv4/IPv6 literal as an iPAddress name), signed by
 * the CA whose certificate is `ca` and key `caKey`.
 */
export function issueLeaf(options: {
  host: string;
  publicKey: KeyObject;
  ca: Issued;
  caKey: KeyObject;
  caName: string;
  caPublicKey: KeyObject;
  nowMs: number;
  ttlMs: number;
}): Issued {
  const ip = isIP(options.host);
  // RFC 5280 §4.2.1.6: dNSName [2] IA5String, iPAddress [7] the address's octets.
  const san = ip === 0 ? tlv(0x82, Buffer.from(options.host, 'ascii')) : tlv(0x87, ipOctets(options.host, ip));
  return build({
    subject: options.host,
    issuer: options.caName,
    publicKey: options.publicKey,
    signingKey: options.caKey,
    issuerKeyId: keyId(options.caPublicKey.export({ type: 'spki', format: 'der' })),
    notBefore: options.nowMs - SKEW_MS,
    notAfter: Math.min(options.nowMs + options.ttlMs, options.ca.notAfter),
    extensions: [
      extension('2.5.29.19', true, seq()), // basicConstraints: not a CA
      extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)), // keyUsage: digitalSignature
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
      extension('2.5.29.17', false, seq(san)), // subjectAltName
    ],
  });
}

function ipOctets(host: string, family: number): Buffer {
  if (family === 4) return Buffer.from(host.split('.').map(Number));
  const [head = '', tail = ''] = host.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  let h = groups(head);
  let t = groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const last = (host.includes('::') ? t : h).at(-1);
  if (last?.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    const v4 = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (host.includes('::')) t = [...t.slice(0, -1), ...v4];
    else h = [...h.slice(0, -1), ...v4];
  }
  const all = host.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}
