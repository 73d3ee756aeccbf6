/**
 * IP addresses and ranges, pure and dependency-free (the egress broker reuses
 * it). Parsing accepts every spelling a resolver or URL parser turns into an
 * address, so a deny list cannot be dodged by notation:
 *
 * - IPv4 as `inet_aton` and the WHATWG URL host parser read it: 1 to 4 parts,
 *   each decimal, octal (`0177`) or hex (`0x7f`), the last part filling the
 *   remaining bytes (`127.1`, `2130706433`, `0x7f000001`), one trailing dot.
 * - IPv6 (RFC 4291 §2.2) with `::`, an embedded dotted IPv4 tail, optional
 *   brackets and a zone id (`fe80::1%eth0`, ignored for classification).
 *
 * An IPv6 address that carries an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`,
 * 6to4 `2002::/16`, Teredo `2001::/32`) lies in a range when either it or the
 * IPv4 address it carries does.
 */

/** A parsed address: 32-bit (IPv4) or 128-bit (IPv6) value. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/** One CIDR range. */
export interface IpCidr {
  readonly version: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
}

const V4_PART = /^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/;

// Parts are plain numbers: a part over 2^53 loses precision but is still over 2^32, so it is still refused.
function v4Part(text: string): number | undefined {
  if (!V4_PART.test(text)) return undefined;
  if (text.length > 1 && text.charCodeAt(0) === 0x30) {
    const x = text.charCodeAt(1);
    if (x === 0x78 || x === 0x58) return text.length === 2 ? 0 : Number.parseInt(text.slice(2), 16);
    return Number.parseInt(text.slice(1), 8);
  }
  return Number(text);
}

/** Parses IPv4 in any `inet_aton` / WHATWG form; `undefined` when it is not one. */
export function parseIpv4(text: string): IpAddress | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return undefined;
  const first = text.charCodeAt(0);
  if (first < 0x30 || first > 0x39) return undefined; // every IPv4 part starts with a digit
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // one trailing dot
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = v4Part(part);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255)) return undefined;
  if (last >= 256 ** (4 - numbers.length)) return undefined;
  let value = last;
  numbers.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return { version: 4, value: BigInt(value) };
}

/** Whether the last dotted label looks numeric, so resolvers may read the text as IPv4 rather than a name. */
export function endsInNumber(host: string): boolean {
  const labels = host.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels.pop();
  const last = labels[labels.length - 1] ?? '';
  return /^[0-9]+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last);
}

/** Parses IPv6 (brackets and a `%zone` allowed); `undefined` when it is not one. */
export function parseIpv6(text: string): IpAddress | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 128) return undefined;
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) {
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(t.slice(zone + 1))) return undefined;
    t = t.slice(0, zone);
  }
  if (!/^[0-9a-fA-F:.]+$/.test(t)) return undefined;
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes('.')) {
        // RFC 4291 §2.2 form 3: a dotted-decimal IPv4 tail, strictly four decimal parts.
        if (
          !/^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/.test(
            piece,
          )
        ) {
          return undefined;
        }
        const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  // One BigInt conversion of 32 hex digits instead of eight shifts.
  let hex = '0x';
  for (const g of all) hex += g.toString(16).padStart(4, '0');
  return { version: 6, value: BigInt(hex) };
}

/**
 * Parses an IP address in any notation (IPv4 forms, IPv6 with or without brackets and zone).
 *
 * @param text - the address text, e.g. `127.1`, `0x7f000001`, `[::ffff:127.0.0.1]`, `fe80::1%eth0`.
 * @returns the address, or `undefined` when `text` is not an IP address.
 * @example
 * ```ts
 * parseIpAddress('0177.0.0.1'); // { version: 4, value: 2130706433n }
 * ```
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

/** The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo). */
export function embeddedIpv4(address: IpAddress): IpAddress[] {
  if (address.version === 4) return [];
  const v = address.value;
  // Fast exit: every form below starts with 0000, 0064:ff9b, 2002 or 2001:0000.
  const hi = Number(v >> 96n);
  if (hi !== 0 && hi !== 0x0064_ff9b && hi >>> 16 !== 0x2002 && hi !== 0x2001_0000) return [];
  const low32 = v & 0xffff_ffffn;
  const out: bigint[] = [];
  const top96 = v >> 32n;
  if (top96 === 0xffffn) out.push(low32); // ::ffff:a.b.c.d (IPv4-mapped)
  if (top96 === 0n && low32 > 1n) out.push(low32); // ::a.b.c.d (IPv4-compatible, deprecated); not :: or ::1
  if (top96 === 0xffff_0000n) out.push(low32); // ::ffff:0:a.b.c.d (SIIT, RFC 2765)
  if (top96 === 0x0064_ff9b_0000_0000_0000_0000n) out.push(low32); // 64:ff9b::/96 (NAT64, RFC 6052)
  if (v >> 80n === 0x0064_ff9b_0001n) out.push(low32); // 64:ff9b:1::/48 (local-use NAT64, RFC 8215)
  if (v >> 112n === 0x2002n) out.push((v >> 80n) & 0xffff_ffffn); // 2002:V4::/48 (6to4, RFC 3056)
  if (v >> 96n === 0x2001_0000n) {
    out.push((v >> 64n) & 0xffff_ffffn); // Teredo server
    out.push(low32 ^ 0xffff_ffffn); // Teredo client, obfuscated (RFC 4380 §4)
  }
  return out.map((value) => ({ version: 4, value }));
}

/** Parses `a.b.c.d/n`, `v6/n`, or a single address (a /32 or /128). */
export function parseCidr(text: string): IpCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  // Ranges in a policy must be written plainly (dotted-decimal or RFC 4291 IPv6), not in the lenient forms.
  const address = /^(?:\d{1,3}\.){3}\d{1,3}$/.test(addressText) ? parseIpv4(addressText) : parseIpv6(addressText);
  if (address === undefined || addressText.includes('%') || addressText.startsWith('[')) return undefined;
  if (address.version === 4 && addressText.split('.').some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
  const width = address.version === 4 ? 32 : 128;
  let bits = width;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(b) || Number(b) > width) return undefined;
    bits = Number(b);
  }
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
  return { version: address.version, base: address.value & mask, bits };
}

/** Whether `address` lies in `cidr` (same family only). */
export function inCidr(address: IpAddress, cidr: IpCidr): boolean {
  if (address.version !== cidr.version) return false;
  const width = address.version === 4 ? 32 : 128;
  return address.value >> BigInt(width - cidr.bits) === cidr.base >> BigInt(width - cidr.bits) || cidr.bits === 0;
}

/**
 * Named ranges a policy can use in `ip` / `urlIp` conditions. Sources: IANA
 * IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890), cloud metadata
 * endpoints as documented by AWS, GCP, Azure, Alibaba.
 */
export const IP_RANGES = Object.freeze({
  unspecified: ['0.0.0.0/8', '::/128'],
  // Connecting to the unspecified address reaches this host on Linux and macOS, so a deny on `loopback`
  // must catch 0.0.0.0 and [::] too (classifyIpAddress still names them `unspecified`).
  loopback: ['127.0.0.0/8', '::1/128', '0.0.0.0/8', '::/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  cgnat: ['100.64.0.0/10'],
  metadata: ['169.254.169.254/32', '169.254.170.2/32', 'fd00:ec2::254/128', '100.100.100.200/32', '168.63.129.16/32'],
  multicast: ['224.0.0.0/4', 'ff00::/8'],
  broadcast: ['255.255.255.255/32'],
  // NAT64 (RFC 6052, RFC 8215): refused whatever IPv4 address it carries, since the translator (possibly on
  // the local network) makes the connection, and a local-use prefix may reach private space.
  nat64: ['64:ff9b::/96', '64:ff9b:1::/48'],
  reserved: [
    '240.0.0.0/4',
    '192.0.0.0/24',
    '192.88.99.0/24', // 6to4 relay anycast (deprecated, RFC 7526)
    '2001::/23', // IETF protocol assignments, incl. Teredo 2001::/32
    '2002::/16', // 6to4: relayed by whichever router answers (RFC 7526)
    '5f00::/16',
    // Outside global unicast 2000::/3: reserved by the IETF (IANA IPv6 Address Space). ::/8 is not listed
    // whole because it holds the mapped and compatible forms, judged by the IPv4 address they carry.
    '100::/8', // incl. 100::/64 discard-only
    '200::/7',
    '400::/6',
    '800::/5',
    '1000::/4',
    '4000::/2',
    '8000::/2',
    'c000::/3',
    'e000::/4',
    'f000::/5',
    'f800::/6',
    'fe00::/9',
  ],
  documentation: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'],
  benchmarking: ['198.18.0.0/15', '2001:2::/48'],
  'site-local': ['fec0::/10'],
} as const);

/** A named range: see {@link IP_RANGES}; `non-public` is all of them together. */
export type IpRangeName = keyof typeof IP_RANGES | 'non-public';

/** Every range name a policy may use. */
export const IP_RANGE_NAMES: readonly IpRangeName[] = Object.freeze([
  ...(Object.keys(IP_RANGES) as (keyof typeof IP_RANGES)[]),
  'non-public',
]);

/** Host names that always mean loopback (RFC 6761 §6.3) or a metadata service. */
const LOOPBACK_NAME = /^(?:localhost|[^.]+(?:\.[^.]+)*\.localhost)\.?$/i;
const METADATA_NAME = /^(?:metadata\.google\.internal|metadata\.goog|metadata)\.?$/i;

/** A compiled list of ranges: `matches(address)` and `matchesName(host)`. */
export interface IpRangeMatcher {
  /** Whether the address (or an IPv4 address it carries) lies in a range. */
  matches(address: IpAddress): boolean;
  /** Whether a host name (not an address) is a fixed name for a listed range (`localhost`, `metadata.google.internal`). */
  matchesName(host: string): boolean;
}

/**
 * Compiles range names and CIDRs.
 *
 * @param ranges - names from {@link IP_RANGE_NAMES} or CIDRs (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.1`).
 * @throws RangeError naming the first entry that is neither.
 * @example
 * ```ts
 * compileIpRanges(['loopback']).matches(parseIpAddress('[::ffff:127.0.0.1]')!); // true
 * ```
 */
export function compileIpRanges(ranges: readonly string[]): IpRangeMatcher {
  if (!Array.isArray(ranges)) throw new TypeError('"ranges" expected an array of strings');
  const cidrs: IpCidr[] = [];
  const names = new Set<string>();
  for (const r of ranges) {
    if (typeof r !== 'string') throw new TypeError('"ranges" expected an array of strings');
    const list: readonly string[] | undefined =
      r === 'non-public'
        ? Object.values(IP_RANGES).flat()
        : Object.hasOwn(IP_RANGES, r)
          ? IP_RANGES[r as keyof typeof IP_RANGES]
          : undefined;
    if (list !== undefined) {
      names.add(r);
      for (const c of list) cidrs.push(parseCidr(c) as IpCidr);
      continue;
    }
    const cidr = parseCidr(r);
    if (cidr === undefined) {
      throw new RangeError(
        `"ranges": ${JSON.stringify(r)} is neither a range name (${IP_RANGE_NAMES.join(', ')}) nor a CIDR`,
      );
    }
    cidrs.push(cidr);
  }
  const one = (a: IpAddress): boolean => {
    if (cidrs.some((c) => inCidr(a, c))) return true;
    // An IPv4 address is also reachable as its IPv4-mapped IPv6 form: an IPv6 CIDR covering that form covers it.
    if (a.version === 4) {
      const mapped: IpAddress = { version: 6, value: (0xffffn << 32n) | a.value };
      return cidrs.some((c) => c.version === 6 && inCidr(mapped, c));
    }
    return false;
  };
  const loopback = names.has('loopback') || names.has('non-public');
  const metadata = names.has('metadata') || names.has('non-public');
  return Object.freeze({
    matches: (address: IpAddress) => one(address) || embeddedIpv4(address).some(one),
    matchesName: (host: string) => (loopback && LOOPBACK_NAME.test(host)) || (metadata && METADATA_NAME.test(host)),
  });
}

/** A name from {@link IP_RANGES}, or `public` when an address lies in none of them. */
export type IpClass = keyof typeof IP_RANGES | 'public';

interface NamedCidr {
  readonly name: keyof typeof IP_RANGES;
  readonly bits: number;
  /** IPv4: the mask and base as unsigned 32-bit numbers (no bigint on the hot path). */
  readonly mask4: number;
  readonly base4: number;
  /** IPv6 up to /32: mask and base of the top 32 bits as numbers; longer: shift and prefix as bigint. */
  readonly hiMask: number;
  readonly hiBase: number;
  readonly shift6: bigint;
  readonly prefix6: bigint;
}

function compileNamed(): { v4: readonly NamedCidr[]; v6: readonly NamedCidr[] } {
  const v4: NamedCidr[] = [];
  const v6: NamedCidr[] = [];
  for (const [name, list] of Object.entries(IP_RANGES) as [keyof typeof IP_RANGES, readonly string[]][]) {
    for (const text of list) {
      const c = parseCidr(text) as IpCidr;
      const width = c.version === 4 ? 32 : 128;
      const mask4 = c.version === 4 && c.bits > 0 ? (0xffff_ffff << (32 - c.bits)) >>> 0 : 0;
      const entry: NamedCidr = {
        name,
        bits: c.bits,
        mask4,
        base4: c.version === 4 ? Number(c.base) >>> 0 : 0,
        hiMask: c.version === 6 && c.bits <= 32 && c.bits > 0 ? (0xffff_ffff << (32 - c.bits)) >>> 0 : 0,
        hiBase: c.version === 6 ? Number(c.base >> 96n) >>> 0 : 0,
        shift6: BigInt(width - c.bits),
        prefix6: c.base >> BigInt(width - c.bits),
      };
      (c.version === 4 ? v4 : v6).push(entry);
    }
  }
  // Most specific first, so 169.254.169.254 is `metadata`, not `link-local`.
  const bySpecificity = (a: NamedCidr, b: NamedCidr) => b.bits - a.bits;
  return { v4: v4.sort(bySpecificity), v6: v6.sort(bySpecificity) };
}

let named: ReturnType<typeof compileNamed> | undefined;

function namedRange(address: IpAddress): keyof typeof IP_RANGES | undefined {
  named ??= compileNamed();
  if (address.version === 4) {
    const n = Number(address.value);
    for (const c of named.v4) if ((n & c.mask4) >>> 0 === c.base4) return c.name;
    return undefined;
  }
  const hi = Number(address.value >> 96n);
  for (const c of named.v6) {
    if (c.bits <= 32 ? (hi & c.hiMask) >>> 0 === c.hiBase : address.value >> c.shift6 === c.prefix6) return c.name;
  }
  return undefined;
}

/**
 * Names the most specific range of {@link IP_RANGES} an address lies in, judging an IPv6 address that
 * carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) also by that IPv4 address. It is
 * `public` exactly when `compileIpRanges(['non-public']).matches(address)` is false; this is the one
 * classifier the policy's `ip` conditions and the sandbox's egress broker share.
 *
 * @param address - a parsed address (see {@link parseIpAddress}).
 * @returns the range name, or `public`.
 * @example
 * ```ts
 * classifyIpAddress(parseIpAddress('0x7f.1')!);                 // 'loopback'
 * classifyIpAddress(parseIpAddress('::ffff:169.254.169.254')!); // 'metadata'
 * classifyIpAddress(parseIpAddress('93.184.215.14')!);          // 'public'
 * ```
 */
export function classifyIpAddress(address: IpAddress): IpClass {
  const own = namedRange(address);
  if (own !== undefined) return own;
  if (address.version === 6) {
    for (const inner of embeddedIpv4(address)) {
      const r = namedRange(inner);
      if (r !== undefined) return r;
    }
  }
  return 'public';
}

/**
 * Writes an address in its one normal form: dotted decimal for IPv4, RFC 5952 for IPv6 (lower case,
 * no leading zeros, the longest run of two or more zero groups as `::`; no zone).
 *
 * @example
 * ```ts
 * formatIpAddress(parseIpAddress('2130706433')!);      // '127.0.0.1'
 * formatIpAddress(parseIpAddress('0:0:0:0:0:0:0:1')!); // '::1'
 * ```
 */
export function formatIpAddress(address: IpAddress): string {
  if (address.version === 4) {
    const n = Number(address.value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const digits = address.value.toString(16).padStart(32, '0');
  const g: number[] = [];
  for (let i = 0; i < 32; i += 4) g.push(Number.parseInt(digits.slice(i, i + 4), 16));
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
