import { describe, expect, it } from 'vitest';
import { SSRF_CORPUS } from '../test/ssrf-corpus.js';
import { classifyAddress, parseIPv4, parseIPv6 } from './address.js';

describe('classifyAddress', () => {
  const literals = SSRF_CORPUS.filter((c) => c.resolvesTo === undefined);
  it('the corpus has at least 60 literal forms', () => {
    expect(literals.length).toBeGreaterThanOrEqual(60);
  });
  it.each(literals.map((c) => [c.host.replace('%25', '%')]))('refuses %s', (host) => {
    const c = classifyAddress(host);
    expect(c.range).not.toBe('public');
    expect(c.range).not.toBe('invalid');
  });
  it.each([
    ['127.1', 'loopback', '127.0.0.1'],
    ['2130706433', 'loopback', '127.0.0.1'],
    ['0x7f.1', 'loopback', '127.0.0.1'],
    ['0177.0.0.1', 'loopback', '127.0.0.1'],
    ['169.254.169.254', 'metadata', '169.254.169.254'],
    ['100.100.100.200', 'metadata', '100.100.100.200'],
    ['100.64.0.1', 'cgnat', '100.64.0.1'],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254'],
    ['::ffff:a9fe:a9fe', 'metadata', '::ffff:a9fe:a9fe'],
    ['64:ff9b::8.8.8.8', 'nat64', '64:ff9b::808:808'],
    ['[::1]', 'loopback', '::1'],
    ['fe80::1%eth0', 'link-local', 'fe80::1'],
  ])('%s is %s (%s)', (ip, range, address) => {
    expect(classifyAddress(ip)).toMatchObject({ range, address });
  });
  it('names the IPv4 address inside mapped and NAT64 forms', () => {
    expect(classifyAddress('::ffff:127.0.0.1').embedded).toBe('127.0.0.1');
    expect(classifyAddress('64:ff9b::a9fe:a9fe').embedded).toBe('169.254.169.254');
  });
  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:81b::200e'])(
    '%s is public',
    (ip) => {
      expect(classifyAddress(ip).range).toBe('public');
    },
  );
  it.each([
    '',
    'example.com',
    '256.0.0.1',
    '1.2.3.4.5',
    '0x1g',
    '::1::1',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:1.2.3',
    '08.0.0.1',
    'x'.repeat(300),
  ])('refuses non-addresses as invalid: %s', (text) => {
    expect(classifyAddress(text).range).toBe('invalid');
  });
  it.each([null, undefined, 42, {}])('refuses wrong-typed input %s', (v) => {
    expect(classifyAddress(v as unknown as string).range).toBe('invalid');
  });
  it('parses the WHATWG IPv4 forms and full IPv6', () => {
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('1.0x20304')).toBe(0x01020304);
    expect(parseIPv4('4294967296')).toBeUndefined();
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });
});
