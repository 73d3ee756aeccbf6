/**
 * Invariant: a URL satisfies an allow rule's `urlHost` only when every URL parser reads the same host from it,
 * and an IP address in a denied range is caught by `urlIp` / `ip` in every notation that reaches it
 * (IPv4 shorthand, octal, hex, decimal, IPv4-mapped/compatible IPv6, NAT64, 6to4, trailing dots).
 */
import { compileIpRanges, createPolicyEngine, parseIpAddress } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const agent = { id: 'did:key:z6MkAgent', name: 'bot' };

function engine(effect: 'allow' | 'deny', condition: Record<string, unknown>) {
  const rules =
    effect === 'allow'
      ? [{ id: 'c', effect, tools: ['fetch'], when: { '/url': condition } }]
      : [
          { id: 'base', effect: 'allow' as const, tools: ['fetch'] },
          { id: 'c', effect, tools: ['fetch'], when: { '/url': condition } },
        ];
  const e = createPolicyEngine({ version: 1, rules });
  return async (url: string) => (await e.decide({ agent, tool: { name: 'fetch' }, args: { url } })).effect;
}

/** The host an RFC 3986 parser reads: after the last `@` of the authority, before the port. */
function rfc3986Host(url: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url);
  if (m === null) return undefined;
  const authority = (m[1] as string).slice((m[1] as string).lastIndexOf('@') + 1);
  return authority.replace(/:[0-9]*$/, '').toLowerCase();
}

function whatwgHost(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

describe('URL authority ambiguity', () => {
  it.each([
    'http://api.example.com\\@evil.com/',
    'http://api.example.com@evil.com/',
    'http://evil.com#@api.example.com/',
    'http:/\\api.example.com/',
    'http:\\\\api.example.com\\',
    'https:api.example.com/',
    'http://api.example.com%2F@evil.com/',
    'http://api%2eexample.com/',
    ' http://api.example.com/',
    'http://api.exa\tmple.com/',
    'http://api.example.com:80@evil.com/',
    'http://user:pw@api.example.com/',
  ])('an allow rule for api.example.com does not accept %j', async (url) => {
    expect(await engine('allow', { urlHost: ['api.example.com'] })(url)).toBe('deny');
  });

  it('still accepts the plain URL, any case, a port, a trailing dot', async () => {
    const decide = engine('allow', { urlHost: ['api.example.com'] });
    for (const url of [
      'https://api.example.com',
      'HTTPS://API.EXAMPLE.COM/x?y#z',
      'https://api.example.com:8443/',
      'https://api.example.com./',
    ]) {
      expect(await decide(url), url).toBe('allow');
    }
  });

  const piece = fc.constantFrom(
    'http:',
    'https:',
    'ftp:',
    'javascript:',
    '//',
    '/',
    '\\',
    '/\\',
    'api.example.com',
    'API.Example.COM',
    'evil.com',
    '@',
    ':',
    '80',
    '%2e',
    '%40',
    '.',
    '#',
    '?',
    '\t',
    ' ',
    '[::1]',
    'user',
  );

  it('fuzz: what the allow rule accepts, WHATWG and RFC 3986 read as api.example.com; what passes the deny rule, neither reads as evil.com', async () => {
    const allow = engine('allow', { urlHost: ['api.example.com'] });
    const deny = engine('deny', { urlHost: ['evil.com', '*.evil.com'] });
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 8 }), async (pieces) => {
        const url = pieces.join('');
        const readings = [whatwgHost(url), rfc3986Host(url)].map((h) => h?.replace(/\.$/, ''));
        if ((await allow(url)) === 'allow') {
          for (const h of readings) expect(h, url).toBe('api.example.com');
        }
        if ((await deny(url)) === 'allow') {
          for (const h of readings) expect(h === 'evil.com' || h?.endsWith('.evil.com'), url).toBe(false);
        }
      }),
      fuzzParams(),
    );
  });
});

describe('IP-range conditions catch every notation', () => {
  it('a deny on loopback catches [::ffff:127.0.0.1] and its siblings; a deny on the host text does too', async () => {
    const byRange = engine('deny', { urlIp: ['loopback', 'private', 'link-local', 'metadata'] });
    const byHost = engine('deny', { urlHost: ['127.0.0.1', 'localhost', '169.254.169.254'] });
    for (const url of [
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://127.1/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://127.0.0.1./',
      'http://[::127.0.0.1]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2002:7f00:1::]/',
      'http://localhost./',
      'http://a.localhost/',
      'http://169.254.169.254/latest',
      'http://[fe80::1]/',
    ]) {
      expect(await byRange(url), url).toBe('deny');
    }
    for (const url of [
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://127.1/',
      'http://0x7f000001/',
    ]) {
      expect(await byHost(url), url).toBe('deny');
    }
  });

  const byte = fc.integer({ min: 0, max: 255 });
  const v4 = fc.tuple(byte, byte, byte, byte);
  type V4 = [number, number, number, number];
  const n32 = ([a, b, c, d]: V4) => ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  const part = (n: number, style: number) =>
    style === 0 ? String(n) : style === 1 ? `0${n.toString(8)}` : `0x${n.toString(16)}`;
  const hex16 = (n: number) => n.toString(16);

  /** Every notation of one IPv4 address that a URL parser, `inet_aton` or a v6 stack routes to it. */
  function notations(a: V4, style: number): string[] {
    const [w, x, y, z] = a;
    const n = n32(a);
    return [
      a.map((p) => part(p, style)).join('.'),
      `${part(w, style)}.${part(x, style)}.${part((y << 8) + z, style)}`,
      `${part(w, style)}.${part((x << 16) + (y << 8) + z, style)}`,
      part(n, style),
      `${a.join('.')}.`,
      `[::ffff:${a.join('.')}]`,
      `[::ffff:${hex16(n >>> 16)}:${hex16(n & 0xffff)}]`,
      `[::${a.join('.')}]`,
      `[64:ff9b::${a.join('.')}]`,
      `[2002:${hex16(n >>> 16)}:${hex16(n & 0xffff)}::1]`,
    ];
  }

  const special = fc.oneof(
    v4.map(([, b, c, d]): V4 => [127, b, c, d]),
    v4.map(([, b, c, d]): V4 => [10, b, c, d]),
    v4.map(([, , c, d]): V4 => [192, 168, c, d]),
    v4.map(([, , c, d]): V4 => [169, 254, c, d]),
    v4.map(([, b, c, d]): V4 => [172, 16 + (b % 16), c, d]),
    fc.constant<V4>([169, 254, 169, 254]),
  );

  it('fuzz: a non-public IPv4 address in any notation, in a URL or bare, is caught by a deny rule', async () => {
    const url = engine('deny', { urlIp: ['non-public'] });
    const bare = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'base', effect: 'allow', tools: ['fetch'] },
        { id: 'ip', effect: 'deny', tools: ['fetch'], when: { '/host': { ip: ['non-public'] } } },
      ],
    });
    await fc.assert(
      fc.asyncProperty(special, fc.integer({ min: 0, max: 2 }), async (a, style) => {
        for (const host of notations(a, style)) {
          expect(await url(`http://${host}/`), host).toBe('deny');
          const d = await bare.decide({ agent, tool: { name: 'fetch' }, args: { host } });
          expect(d.effect, host).toBe('deny');
        }
      }),
      fuzzParams(),
    );
  });

  it('fuzz: classification does not depend on notation (any address, any range list)', () => {
    const ranges = compileIpRanges(['non-public']);
    const loopback = compileIpRanges(['127.0.0.0/8']);
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 2 }), (a, style) => {
        const canonical = parseIpAddress(a.join('.'));
        expect(canonical).toBeDefined();
        const want = ranges.matches(canonical as NonNullable<typeof canonical>);
        const wantLoop = loopback.matches(canonical as NonNullable<typeof canonical>);
        for (const text of notations(a, style).slice(0, 8)) {
          const parsed = parseIpAddress(text);
          expect(parsed, text).toBeDefined();
          const p = parsed as NonNullable<typeof parsed>;
          // A form carrying the address lies in a range when the address does (it may lie in more, e.g. ::/96).
          if (want) expect(ranges.matches(p), text).toBe(true);
          if (wantLoop) expect(loopback.matches(p), text).toBe(true);
        }
      }),
      fuzzParams(),
    );
  });
});

describe('the unspecified address reaches this host', () => {
  it('a deny on loopback catches 0.0.0.0, 0.0.0.1, 0 and [::], in URLs and bare hosts', async () => {
    const url = engine('deny', { urlIp: ['loopback'] });
    const bare = createPolicyEngine({
      version: 1,
      rules: [
        { id: 'base', effect: 'allow', tools: ['fetch'] },
        { id: 'ip', effect: 'deny', tools: ['fetch'], when: { '/host': { ip: ['loopback'] } } },
      ],
    });
    for (const host of ['0.0.0.0', '0.0.0.1', '[::]', '[::ffff:0.0.0.0]']) {
      expect(await url(`http://${host}:6379/`), host).toBe('deny');
    }
    for (const host of ['0.0.0.0', '0', '::', '0.0.0.1']) {
      expect((await bare.decide({ agent, tool: { name: 'fetch' }, args: { host } })).effect, host).toBe('deny');
    }
  });
});
