import { describe, expect, it } from 'vitest';
import {
  classifyIpAddress,
  compileIpRanges,
  embeddedIpv4,
  formatIpAddress,
  IP_RANGES,
  parseCidr,
  parseIpAddress,
} from './ip.js';

const v4 = (text: string) => {
  const a = parseIpAddress(text);
  return a === undefined ? undefined : `${a.version}:${a.value.toString(16)}`;
};

describe('parseIpAddress', () => {
  // Expected values: the WHATWG URL Standard's IPv4 parser (§3.5) and RFC 4291 §2.2, checked against Node's URL.
  it.each<[string, string | undefined]>([
    ['127.0.0.1', '4:7f000001'],
    ['127.1', '4:7f000001'],
    ['127.0.1', '4:7f000001'],
    ['2130706433', '4:7f000001'],
    ['0x7f000001', '4:7f000001'],
    ['0177.0.0.1', '4:7f000001'],
    ['0x7f.0.0.1', '4:7f000001'],
    ['127.0.0.1.', '4:7f000001'],
    ['0x', '4:0'],
    ['256.0.0.1', undefined],
    ['127.0.0.256', undefined],
    ['1.2.3.4.5', undefined],
    ['08.0.0.1', undefined],
    ['4294967296', undefined],
    ['', undefined],
    ['::1', '6:1'],
    ['[::1]', '6:1'],
    ['::ffff:127.0.0.1', '6:ffff7f000001'],
    ['fe80::1%eth0', '6:fe800000000000000000000000000001'],
    ['1:2:3:4:5:6:7:8', '6:10002000300040005000600070008'],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1::2::3', undefined],
    ['::ffff:127.1', undefined],
    ['12345::', undefined],
  ])('%j', (text, expected) => {
    expect(v4(text)).toBe(expected);
  });

  it('agrees with the WHATWG URL parser on IPv4 hosts', () => {
    for (const host of ['127.1', '0x7f000001', '0177.0.0.1', '2130706433', '10.0x10.1', '192.168.257']) {
      const a = parseIpAddress(host);
      const b = parseIpAddress(new URL(`http://${host}/`).hostname);
      expect(a?.value, host).toBe(b?.value);
    }
  });
});

describe('embedded IPv4 and ranges', () => {
  it('finds the IPv4 address inside mapped, compatible, NAT64, 6to4 and Teredo addresses', () => {
    const of = (t: string) =>
      embeddedIpv4(parseIpAddress(t) as NonNullable<ReturnType<typeof parseIpAddress>>).map((a) => a.value);
    expect(of('::ffff:7f00:1')).toEqual([0x7f000001n]);
    expect(of('::127.0.0.1')).toEqual([0x7f000001n]);
    expect(of('64:ff9b::10.0.0.1')).toEqual([0x0a000001n]);
    expect(of('2002:a9fe:a9fe::1')).toEqual([0xa9fea9fen]);
    expect(of('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toEqual([0x4136e378n, 0xc000022dn]);
    expect(of('::1')).toEqual([]);
  });

  it('matches names, CIDRs and embedded addresses; refuses bad ranges', () => {
    const r = compileIpRanges(['loopback', 'metadata', '203.0.113.0/24']);
    for (const t of ['127.9.9.9', '::1', '[::ffff:127.0.0.1]', '169.254.169.254', '203.0.113.7', '64:ff9b::7f00:1']) {
      expect(r.matches(parseIpAddress(t) as NonNullable<ReturnType<typeof parseIpAddress>>), t).toBe(true);
    }
    expect(r.matches(parseIpAddress('8.8.8.8') as NonNullable<ReturnType<typeof parseIpAddress>>)).toBe(false);
    expect(r.matchesName('LOCALHOST.')).toBe(true);
    expect(r.matchesName('metadata.google.internal')).toBe(true);
    expect(r.matchesName('example.com')).toBe(false);
    for (const bad of ['10.0.0.0/33', '010.0.0.0/8', '127.1/8', 'nope', '::1/129', '[::1]', 'fe80::1%eth0']) {
      expect(() => compileIpRanges([bad]), bad).toThrow(RangeError);
    }
    expect(parseCidr('10.1.2.3/8')).toEqual({ version: 4, base: 0x0a000000n, bits: 8 });
  });
});

describe('classifyIpAddress and formatIpAddress', () => {
  const parse = (t: string) => parseIpAddress(t) as NonNullable<ReturnType<typeof parseIpAddress>>;
  it.each<[string, string, string]>([
    ['127.1', 'loopback', '127.0.0.1'],
    ['2130706433', 'loopback', '127.0.0.1'],
    ['0x7f.1', 'loopback', '127.0.0.1'],
    ['169.254.169.254', 'metadata', '169.254.169.254'],
    ['169.254.0.1', 'link-local', '169.254.0.1'],
    ['100.100.100.200', 'metadata', '100.100.100.200'],
    ['100.64.0.1', 'cgnat', '100.64.0.1'],
    ['168.63.129.16', 'metadata', '168.63.129.16'],
    ['192.88.99.1', 'reserved', '192.88.99.1'],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254'],
    ['::ffff:a9fe:a9fe', 'metadata', '::ffff:a9fe:a9fe'],
    ['64:ff9b::8.8.8.8', 'nat64', '64:ff9b::808:808'],
    ['64:ff9b:1::808:808', 'nat64', '64:ff9b:1::808:808'],
    ['2002:808:808::1', 'reserved', '2002:808:808::1'],
    ['[::1]', 'loopback', '::1'],
    ['0:0:0:0:0:0:0:1', 'loopback', '::1'],
    ['fe80::1%eth0', 'link-local', 'fe80::1'],
    ['4000::1', 'reserved', '4000::1'],
    ['fe00::1', 'reserved', 'fe00::1'],
    ['1:0:0:1:0:0:0:1', 'public', '1:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', 'documentation', '2001:db8::1:0:0:1'],
    ['93.184.215.14', 'public', '93.184.215.14'],
    ['::ffff:8.8.8.8', 'public', '::ffff:808:808'],
    ['2606:4700:4700::1111', 'public', '2606:4700:4700::1111'],
  ])('%s is %s, written %s', (text, range, normal) => {
    expect(classifyIpAddress(parse(text))).toBe(range);
    expect(formatIpAddress(parse(text))).toBe(normal);
  });

  it('is public exactly when the non-public matcher does not match', () => {
    const nonPublic = compileIpRanges(['non-public']);
    const samples = [
      ...Object.values(IP_RANGES)
        .flat()
        .map((c) => c.split('/')[0] as string),
      ...[
        '8.8.8.8',
        '1.1.1.1',
        '::ffff:7f00:1',
        '::127.0.0.1',
        '::ffff:0:a00:1',
        '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      ],
      ...['2002:7f00:1::1', '64:ff9b::a9fe:a9fe', '2a00:1450:4001:81b::200e', '3000::1', '1::1'],
    ];
    for (const t of samples) {
      const a = parse(t);
      expect(classifyIpAddress(a) !== 'public', t).toBe(nonPublic.matches(a));
    }
  });
});
