/**
 * IP address classification for the egress broker: which ranges a sandboxed tool may never reach.
 * Pure and dependency-free; the one function other modules call is {@link classifyAddress}.
 * Ranges: IANA IPv4/IPv6 Special-Purpose Address Registries (RFC 6890), RFC 1918, RFC 6598 (CGNAT),
 * RFC 3927 / RFC 4291 (link-local), RFC 6052 / RFC 8215 (NAT64), RFC 4291 §2.5.5 (IPv4-mapped).
 */

/** The range an address falls in; only `public` may be reached. */
export type AddressRange =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'nat64'
  | 'invalid';

/** What {@link classifyAddress} found. */
export interface AddressClass {
  /** The range; anything but `public` is refused by the broker. */
  readonly range: AddressRange;
  /** 4 or 6; 0 when the text is not an address. */
  readonly family: 0 | 4 | 6;
  /** The address in its normal form (dotted quad, or RFC 5952 IPv6); '' when invalid. */
  readonly address: string;
  /** For IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4): that address. */
  readonly embedded?: string;
}

// [first, prefix length, range], most specific first.
const V4_RANGES: readonly (readonly [number, number, AddressRange])[] = [
  [0xa9fea9fe, 32, 'metadata'], // 169.254.169.254: cloud instance metadata
  [0xffffffff, 32, 'broadcast'],
  [0x00000000, 8, 'unspecified'],
  [0x7f000000, 8, 'loopback'],
  [0x0a000000, 8, 'private'],
  [0xac100000, 12, 'private'],
  [0xc0a80000, 16, 'private'],
  [0xa9fe0000, 16, 'link-local'],
  [0x64400000, 10, 'cgnat'],
  [0xc0000000, 24, 'reserved'], // IETF protocol assignments (incl. 192.0.0.192 metadata)
  [0xc0000200, 24, 'documentation'],
  [0xc6336400, 24, 'documentation'],
  [0xcb007100, 24, 'documentation'],
  [0xc6120000, 15, 'reserved'], // benchmarking
  [0xc0586300, 24, 'reserved'], // 6to4 relay anycast (deprecated)
  [0xe0000000, 4, 'multicast'],
  [0xf0000000, 4, 'reserved'],
];

/** 100.100.100.200: Alibaba Cloud metadata, inside CGNAT. */
const ALIBABA_METADATA = 0x646464c8;

function v4Range(n: number): AddressRange {
  if (n === ALIBABA_METADATA) return 'metadata';
  for (const [first, bits, range] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === first) return range;
  }
  return 'public';
}

function v4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function parseV4Part(part: string): number | undefined {
  if (part === '') return undefined;
  let radix = 10;
  let digits = part;
  if (/^0[xX]/.test(part)) {
    radix = 16;
    digits = part.slice(2);
    if (digits === '') return 0;
  } else if (part.length > 1 && part.startsWith('0')) {
    radix = 8;
    digits = part.slice(1);
  }
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  const n = Number.parseInt(digits, radix);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parses IPv4 the way URL parsers and `inet_aton` do (WHATWG URL §3.5 "IPv4 parser"): one to four
 * parts, each decimal, octal (leading 0) or hex (0x), the last filling the remaining bytes; so
 * `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` are all 127.0.0.1.
 *
 * @returns the address as an unsigned 32-bit number, or undefined when `text` is not IPv4.
 */
export function parseIPv4(text: string): number | undefined {
  const parts = text.endsWith('.') ? text.slice(0, -1).split('.') : text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    const n = parseV4Part(p);
    if (n === undefined) return undefined;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined;
  let value = last;
  nums.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return value >>> 0;
}

/**
 * Parses IPv6 text (brackets and a `%zone` allowed, a trailing dotted IPv4 allowed).
 *
 * @returns eight 16-bit groups, or undefined when `text` is not IPv6.
 */
export function parseIPv6(text: string): number[] | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const lastPart = s.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    // Only the strict dotted-quad form is allowed inside IPv6 (RFC 4291 §2.2).
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(lastPart)) return undefined;
    const octets = lastPart.split('.').map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    tail = [(a << 8) | b, (c << 8) | d];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0] ?? '');
  const rest = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const right = [...rest, ...tail];
  if (halves.length === 1) {
    const all = [...head, ...tail];
    return all.length === 8 ? all : undefined;
  }
  const fill = 8 - head.length - right.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...right];
}

function v6Text(g: readonly number[]): string {
  // RFC 5952: lower case, no leading zeros, the longest run (>1) of zero groups as '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function embeddedV4(g: readonly number[]): number {
  return (((g[6] ?? 0) << 16) | (g[7] ?? 0)) >>> 0;
}

function v6Range(g: readonly number[]): { range: AddressRange; embedded?: number } {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return { range: 'unspecified' };
  if (zeroTo(7) && g7 === 1) return { range: 'loopback' };
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible): judged by the IPv4 address.
  if (zeroTo(5) && g5 === 0xffff) return { range: v4Range(embeddedV4(g)), embedded: embeddedV4(g) };
  if (zeroTo(6)) return { range: v4Range(embeddedV4(g)), embedded: embeddedV4(g) };
  // ::ffff:0:a.b.c.d (SIIT translated) likewise.
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return { range: v4Range(embeddedV4(g)), embedded: embeddedV4(g) };
  // NAT64: 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215). Refused whatever they embed: the
  // translator would reach the IPv4 address, and a local translator may reach private ranges.
  if (g0 === 0x64 && g1 === 0xff9b && (g2 === 1 || (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0))) {
    return { range: 'nat64', embedded: embeddedV4(g) };
  }
  if (g0 === 0x2002) return { range: 'reserved', embedded: ((g1 << 16) | g2) >>> 0 }; // 6to4
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0) {
    if (g7 === 0x254) return { range: 'metadata' }; // AWS IMDS over IPv6
  }
  if ((g0 & 0xfe00) === 0xfc00) return { range: 'private' }; // ULA fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return { range: 'link-local' };
  if ((g0 & 0xffc0) === 0xfec0) return { range: 'private' }; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return { range: 'multicast' };
  if (g0 === 0x2001 && g1 === 0x0db8) return { range: 'documentation' };
  if (g0 === 0x3fff && g1 < 0x1000) return { range: 'documentation' }; // RFC 9637
  if (g0 === 0x2001 && g1 < 0x0200) return { range: 'reserved' }; // IETF protocol assignments, Teredo
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return { range: 'reserved' }; // discard-only
  if ((g0 & 0xe000) !== 0x2000) return { range: 'reserved' }; // outside global unicast 2000::/3
  return { range: 'public' };
}

/**
 * Classifies an IP address literal in any form an attacker might use: dotted quad, single integer,
 * octal, hex, short forms (`127.1`), bracketed or zoned IPv6, IPv4-mapped / compatible IPv6, NAT64,
 * 6to4. Text that is not an address is `invalid` (a host name must be resolved first).
 *
 * @param ip - the address text.
 * @returns its {@link AddressClass}; only `range === 'public'` may be connected to.
 * @example
 * ```ts
 * classifyAddress('0x7f.1').range;              // 'loopback'
 * classifyAddress('::ffff:169.254.169.254').range; // 'metadata'
 * classifyAddress('93.184.215.14').range;       // 'public'
 * ```
 */
export function classifyAddress(ip: string): AddressClass {
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > 256) {
    return { range: 'invalid', family: 0, address: '' };
  }
  const v4 = /^[0-9a-fA-FxX.]+$/.test(ip) ? parseIPv4(ip) : undefined;
  if (v4 !== undefined) return { range: v4Range(v4), family: 4, address: v4Text(v4) };
  const v6 = parseIPv6(ip);
  if (v6 === undefined) return { range: 'invalid', family: 0, address: '' };
  const { range, embedded } = v6Range(v6);
  const base = { range, family: 6 as const, address: v6Text(v6) };
  return embedded === undefined ? base : { ...base, embedded: v4Text(embedded) };
}
