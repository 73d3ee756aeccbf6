import { classifyIpAddress, compileIpRanges, formatIpAddress, parseIpAddress } from '@agentguard/policy';
import { describe, expect, it } from 'vitest';
import { createEgressChecker } from '../src/egress-policy.js';
import { SSRF_CORPUS } from './ssrf-corpus.js';

// The broker has no classifier of its own: it uses @agentguard/policy's, so a policy's `ip` conditions and the
// sandbox's egress can never disagree on an address. These tests hold the shared classifier to the SSRF corpus.
const literals = SSRF_CORPUS.filter((c) => c.resolvesTo === undefined).map((c) => c.host.replace('%25', '%'));
const answers = SSRF_CORPUS.flatMap((c) => c.resolvesTo ?? []);

describe('the shared classifier on the SSRF corpus', () => {
  const nonPublic = compileIpRanges(['non-public']);
  const checker = createEgressChecker({});

  it('the corpus has at least 60 literal forms', () => {
    expect(literals.length).toBeGreaterThanOrEqual(60);
  });

  it.each(literals.map((h) => [h]))('refuses %s as an address, whatever the notation', (host) => {
    const a = parseIpAddress(host);
    expect(a).toBeDefined();
    if (a === undefined) return;
    expect(classifyIpAddress(a)).not.toBe('public');
    expect(nonPublic.matches(a)).toBe(true);
    expect(checker.checkHost(host, 443)).toMatchObject({ allowed: false, reason: 'address-refused' });
  });

  it('refuses every forbidden resolver answer, and a name with one bad answer among good ones', () => {
    for (const a of answers.filter((x) => x !== '93.184.215.14')) {
      expect(checker.checkAddresses([a]), a).toMatchObject({ allowed: false, reason: 'address-refused' });
    }
    expect(checker.checkAddresses(['93.184.215.14', '169.254.169.254'])).toMatchObject({
      allowed: false,
      detail: '169.254.169.254 is metadata',
    });
    expect(checker.checkAddresses([])).toMatchObject({ allowed: false, reason: 'no-address' });
    expect(checker.checkAddresses(['not-an-ip'])).toMatchObject({ allowed: false, reason: 'address-refused' });
  });

  it.each([
    ['0x7f.1', 'loopback', '127.0.0.1'],
    ['0177.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:a9fe:a9fe', 'metadata', '::ffff:a9fe:a9fe'],
    ['64:ff9b::8.8.8.8', 'nat64', '64:ff9b::808:808'],
    ['fe80::1%eth0', 'link-local', 'fe80::1'],
  ])('names the range in the refusal: %s is %s', (host, range, address) => {
    expect(checker.checkHost(host, 443)).toMatchObject({ detail: `${address} is ${range}` });
  });

  it('pins and compares addresses in their normal form', () => {
    const c = createEgressChecker({
      allow: [{ host: '127.0.0.2', ports: [80] }],
      unsafeAllowAddresses: ['0x7f.0.0.2'],
    });
    expect(c.checkHost('2130706434', 80)).toMatchObject({ allowed: true, literal: '127.0.0.2' });
    expect(c.checkAddresses(['0:0:0:0:0:ffff:7f00:2'])).toMatchObject({ allowed: false });
    expect(formatIpAddress(parseIpAddress('0:0:0:0:0:0:0:1') as NonNullable<ReturnType<typeof parseIpAddress>>)).toBe(
      '::1',
    );
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001:81b::200e'])(
    'lets the public address %s through',
    (a) => {
      expect(checker.checkAddresses([a])).toEqual({ allowed: true, address: a });
    },
  );

  it.each(['example.com', 'a.b.0x1g', '1.2.3.08', '256.0.0.1', 'x'.repeat(300), '::1::1', '1:2:3:4:5:6:7:8:9'])(
    'refuses a host off the list, or text that is neither a name nor an address: %s',
    (host) => {
      const d = createEgressChecker({ allow: [{ host: 'api.example.com' }] }).checkHost(host, 443);
      expect(d.allowed).toBe(false);
    },
  );
});
