/**
 * SSRF corpus: address forms a sandboxed tool must never reach. Literal forms are refused by
 * classification; `name` forms are host names that the stubbed resolver maps to a forbidden address.
 * Sources: the WHATWG URL IPv4 parser, inet_aton, RFC 6890 / 6598 / 6052 / 8215 / 4291, and the
 * forms published against `private-ip` and `ssrf-req-filter`. Nothing here is ever connected to.
 */
export interface SsrfCase {
  /** The host as the tool writes it (in a URL or a CONNECT line). */
  readonly host: string;
  /** For names: what the stub resolver answers. */
  readonly resolvesTo?: readonly string[];
}

export const SSRF_CORPUS: readonly SsrfCase[] = [
  // IPv4 loopback and its alternate notations
  { host: '127.0.0.1' },
  { host: '127.1' },
  { host: '127.0.1' },
  { host: '127.255.255.254' },
  { host: '2130706433' },
  { host: '0x7f000001' },
  { host: '0x7f.0x0.0x0.0x1' },
  { host: '0177.0.0.1' },
  { host: '0177.1' },
  { host: '017700000001' },
  { host: '0x7f.1' },
  { host: '127.000.000.001' },
  // unspecified
  { host: '0.0.0.0' },
  { host: '0' },
  { host: '0x0' },
  // private
  { host: '10.0.0.1' },
  { host: '10.255.255.255' },
  { host: '172.16.0.1' },
  { host: '172.31.255.254' },
  { host: '192.168.0.1' },
  { host: '192.168.1.1' },
  { host: '0xc0a80001' },
  { host: '3232235777' },
  { host: '012.0.0.1' },
  // link-local and metadata
  { host: '169.254.169.254' },
  { host: '169.254.0.1' },
  { host: '2852039166' },
  { host: '0xa9fea9fe' },
  { host: '0251.0376.0251.0376' },
  { host: '169.254.43518' },
  { host: '100.100.100.200' },
  // CGNAT, reserved, multicast, broadcast, documentation
  { host: '100.64.0.1' },
  { host: '100.127.255.254' },
  { host: '192.0.0.192' },
  { host: '198.18.0.1' },
  { host: '224.0.0.1' },
  { host: '239.255.255.250' },
  { host: '255.255.255.255' },
  { host: '240.0.0.1' },
  { host: '192.0.2.1' },
  // IPv6 loopback, unspecified, link-local, ULA, site-local, multicast
  { host: '::1' },
  { host: '0:0:0:0:0:0:0:1' },
  { host: '::' },
  { host: 'fe80::1' },
  { host: 'fe80::1%25eth0' },
  { host: 'fc00::1' },
  { host: 'fd12:3456:789a::1' },
  { host: 'fec0::1' },
  { host: 'ff02::1' },
  { host: 'fd00:ec2::254' },
  // IPv4-mapped, compatible, translated IPv6
  { host: '::ffff:127.0.0.1' },
  { host: '::ffff:7f00:1' },
  { host: '::ffff:169.254.169.254' },
  { host: '::ffff:a9fe:a9fe' },
  { host: '::ffff:10.0.0.1' },
  { host: '0:0:0:0:0:ffff:127.0.0.1' },
  { host: '::127.0.0.1' },
  { host: '::ffff:0:127.0.0.1' },
  // NAT64, 6to4, Teredo, documentation
  { host: '64:ff9b::127.0.0.1' },
  { host: '64:ff9b::a9fe:a9fe' },
  { host: '64:ff9b::8.8.8.8' },
  { host: '64:ff9b:1::a00:1' },
  { host: '2002:7f00:1::1' },
  { host: '2001:0:4136:e378:8000:63bf:3fff:fdd2' },
  { host: '2001:db8::1' },
  // names that resolve to forbidden addresses (stubbed resolver), including rebinding mixes
  { host: 'localhost.sandbox.test', resolvesTo: ['127.0.0.1'] },
  { host: 'metadata.sandbox.test', resolvesTo: ['169.254.169.254'] },
  { host: 'private.sandbox.test', resolvesTo: ['10.1.2.3'] },
  { host: 'mapped.sandbox.test', resolvesTo: ['::ffff:127.0.0.1'] },
  { host: 'v6local.sandbox.test', resolvesTo: ['::1'] },
  { host: 'rebind.sandbox.test', resolvesTo: ['93.184.215.14', '169.254.169.254'] },
  { host: 'cgnat.sandbox.test', resolvesTo: ['100.64.1.1'] },
  { host: 'nat64.sandbox.test', resolvesTo: ['64:ff9b::a9fe:a9fe'] },
  { host: 'empty.sandbox.test', resolvesTo: [] },
];

/** Every name in the corpus with its stub answer (unknown names fail to resolve). */
export function stubResolver(extra: Readonly<Record<string, readonly string[]>> = {}) {
  const table = new Map<string, readonly string[]>(Object.entries(extra));
  for (const c of SSRF_CORPUS) if (c.resolvesTo !== undefined) table.set(c.host, c.resolvesTo);
  const calls: string[] = [];
  const resolve = async (host: string): Promise<readonly string[]> => {
    calls.push(host);
    const a = table.get(host);
    if (a === undefined) throw Object.assign(new Error(`stub: no such name ${host}`), { code: 'ENOTFOUND' });
    return a;
  };
  return { resolve, calls };
}
