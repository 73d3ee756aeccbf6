/**
 * Bad input tables: every malformed, truncated, oversized or hostile token, key,
 * signature, chain and revocation list gets a typed failure with a stable code;
 * nothing throws, nothing is accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '@agentguard/statement';
import { CREDENTIAL_TYP, issueCredential, verifyCredential } from './credential.js';
import { delegate } from '../delegation/delegation.js';
import { verifyChain } from '../delegation/chain.js';
import { createIdentity } from '../key/identity.js';
import { createRevocationChecker } from '../revocation/revocation.js';

const NOW = Date.parse('2026-04-01T00:00:00Z');
const authority = createIdentity();
const agent = createIdentity();
const sub = createIdentity();
const anchors = createTrustAnchors([authority.id]);
const o = { anchors, nowMs: NOW };

const good = await issueCredential({
  issuer: authority,
  subject: agent.id,
  name: 'n',
  owner: 'o',
  environment: 'e',
  riskTier: 'high',
  tools: ['t.*'],
  scopes: ['s'],
  nowMs: NOW,
});
const [H, P, S] = good.split('.') as [string, string, string];
const header = fromUtf8(fromBase64Url(H));
const payload = JSON.parse(fromUtf8(fromBase64Url(P))) as Record<string, unknown>;
const link = await delegate({ delegator: agent, parent: good, delegatee: sub.id, tools: ['t.a'], nowMs: NOW });

const b64 = (text: string) => toBase64Url(utf8(text));
/** A correctly signed token over arbitrary header and payload text: only parsing and claim checks can refuse it. */
async function signed(headerText: string, payloadText: string): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  return `${input}.${toBase64Url(await authority.sign(utf8(input)))}`;
}
const claims = (change: Record<string, unknown>) => signed(header, JSON.stringify({ ...payload, ...change }));
const without = (key: string) => {
  const { [key]: _, ...rest } = payload;
  return signed(header, JSON.stringify(rest));
};
/** Same bytes, different text: set an unused low bit of the last base64url character. */
function nonCanonical(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(segment.at(-1) as string);
  return `${segment.slice(0, -1)}${alphabet[last | 1]}`;
}
const hdr = (h: Record<string, unknown>) => signed(JSON.stringify(h), JSON.stringify(payload));
const base = { alg: 'Ed25519', typ: CREDENTIAL_TYP, kid: authority.keyId };
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

const tokens: Array<[string, () => unknown, string]> = [
  ['a number', () => 42, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['null', () => null, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['an object', () => ({ token: good }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['empty string', () => '', 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['two segments', () => `${H}.${P}`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['four segments', () => `${good}.${S}`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['empty signature', () => `${H}.${P}.`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['truncated signature', () => good.slice(0, -4), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['truncated payload JSON', () => `${H}.${b64(JSON.stringify(payload).slice(0, -5))}.${S}`, 'ERR_IDENTITY_JSON_PARSE'],
  ['padding', () => `${good}==`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['standard base64 characters', () => `${H}.${P}.${S.slice(0, -1)}+`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['surrounding whitespace', () => ` ${good}\n`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  [
    'JWS JSON serialization',
    () => JSON.stringify({ protected: H, payload: P, signature: S }),
    'ERR_IDENTITY_TOKEN_MALFORMED',
  ],
  ['oversized', () => `${H}.${'A'.repeat(20_000)}.${S}`, 'ERR_IDENTITY_TOKEN_TOO_LARGE'],
  ['non-canonical signature base64url', () => `${H}.${P}.${nonCanonical(S)}`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  [
    'signature of 63 bytes',
    () => `${H}.${P}.${toBase64Url(fromBase64Url(S).slice(1))}`,
    'ERR_IDENTITY_TOKEN_MALFORMED',
  ],
  ['signature of 65 bytes', () => `${H}.${P}.${toBase64Url(new Uint8Array(65))}`, 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['all-zero signature', () => `${H}.${P}.${toBase64Url(new Uint8Array(64))}`, 'ERR_IDENTITY_SIGNATURE_INVALID'],
  [
    'signature S ≥ L (malleated)',
    () =>
      `${H}.${P}.${toBase64Url(new Uint8Array([...fromBase64Url(S).slice(0, 32), ...new Uint8Array(32).fill(0xff)]))}`,
    'ERR_IDENTITY_SIGNATURE_INVALID',
  ],
  ['header not JSON', () => `${b64('{alg:Ed25519}')}.${P}.${S}`, 'ERR_IDENTITY_JSON_PARSE'],
  [
    'header not UTF-8',
    () => `${toBase64Url(new Uint8Array([0x7b, 0xff, 0x7d]))}.${P}.${S}`,
    'ERR_IDENTITY_TOKEN_MALFORMED',
  ],
  ['header an array', () => hdrRaw('[]'), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  [
    'header duplicate alg',
    () => hdrRaw(`{"alg":"none","alg":"Ed25519","typ":"${CREDENTIAL_TYP}","kid":"${authority.keyId}"}`),
    'ERR_IDENTITY_JSON_DUPLICATE_KEY',
  ],
  [
    'header __proto__',
    () => hdrRaw(`{"__proto__":{"alg":"Ed25519"},"typ":"${CREDENTIAL_TYP}"}`),
    'ERR_IDENTITY_JSON_FORBIDDEN_KEY',
  ],
  ['alg none', () => hdr({ ...base, alg: 'none' }), 'ERR_IDENTITY_ALG_UNSUPPORTED'],
  ['alg missing', () => hdr({ typ: CREDENTIAL_TYP, kid: authority.keyId }), 'ERR_IDENTITY_ALG_UNSUPPORTED'],
  ['alg HS256', () => hdr({ ...base, alg: 'HS256' }), 'ERR_IDENTITY_ALG_UNSUPPORTED'],
  ['alg RS256', () => hdr({ ...base, alg: 'RS256' }), 'ERR_IDENTITY_ALG_UNSUPPORTED'],
  ['alg as array', () => hdr({ ...base, alg: ['Ed25519'] }), 'ERR_IDENTITY_ALG_UNSUPPORTED'],
  ['typ missing', () => hdr({ alg: 'Ed25519', kid: authority.keyId }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['typ of a delegation', () => hdr({ ...base, typ: 'agentguard-delegation+jwt' }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['kid missing', () => hdr({ alg: 'Ed25519', typ: CREDENTIAL_TYP }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['kid a number', () => hdr({ ...base, kid: 7 }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['kid of another key', () => hdr({ ...base, kid: agent.keyId }), 'ERR_IDENTITY_KEY_UNKNOWN'],
  ['x5u header', () => hdr({ ...base, x5u: 'https://evil.example' }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['b64 false header', () => hdr({ ...base, b64: false }), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['payload not JSON', () => signed(header, 'not json'), 'ERR_IDENTITY_JSON_PARSE'],
  ['payload an array', () => signed(header, '[1]'), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ['payload a string', () => signed(header, '"x"'), 'ERR_IDENTITY_TOKEN_MALFORMED'],
  [
    'payload duplicate exp',
    () => signed(header, JSON.stringify(payload).replace('"exp":', '"exp":9999999999,"exp":')),
    'ERR_IDENTITY_JSON_DUPLICATE_KEY',
  ],
  [
    'payload duplicate riskTier',
    () => signed(header, JSON.stringify(payload).replace('"riskTier":"high"', '"riskTier":"low","riskTier":"high"')),
    'ERR_IDENTITY_JSON_DUPLICATE_KEY',
  ],
  [
    'payload __proto__',
    () => signed(header, JSON.stringify(payload).replace('{', '{"__proto__":{"riskTier":"low"},')),
    'ERR_IDENTITY_JSON_FORBIDDEN_KEY',
  ],
  [
    'payload nested too deep',
    () => signed(header, JSON.stringify(payload).replace('"scopes":["s"]', `"scopes":${nested(40)}`)),
    'ERR_IDENTITY_JSON_TOO_DEEP',
  ],
  [
    'payload lone surrogate',
    () => signed(header, JSON.stringify(payload).replace('"n"', '"\\ud800"')),
    'ERR_IDENTITY_JSON_PARSE',
  ],
  ['payload trailing garbage', () => signed(header, `${JSON.stringify(payload)}x`), 'ERR_IDENTITY_JSON_PARSE'],
  ['ver 2', () => claims({ ver: 2 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['unknown claim', () => claims({ admin: true }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['exp missing', () => without('exp'), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['jti missing', () => without('jti'), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['cnf missing', () => without('cnf'), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['exp a float', () => claims({ exp: 1.5e9 + 0.5 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['exp a string', () => claims({ exp: '2099-01-01' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['exp past year 9999', () => claims({ exp: 1e15 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['nbf after exp', () => claims({ nbf: (payload.exp as number) + 1 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['negative iat', () => claims({ iat: -1 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['sub not a did', () => claims({ sub: 'agent' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['sub a did:web', () => claims({ sub: 'did:web:example.com' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['sub with fragment', () => claims({ sub: agent.keyId }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['cnf for another key', () => claims({ cnf: { jwk: sub.publicJwk() } }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  [
    'cnf carrying a private key',
    () => claims({ cnf: { jwk: agent.exportPrivateJwk() } }),
    'ERR_IDENTITY_CLAIMS_INVALID',
  ],
  [
    'cnf jwk of wrong kty',
    () => claims({ cnf: { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } } }),
    'ERR_IDENTITY_CLAIMS_INVALID',
  ],
  ['cnf extra member', () => claims({ cnf: { jwk: agent.publicJwk(), jku: 'x' } }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['iss not a DID', () => claims({ iss: 'authority' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['iss another DID', () => claims({ iss: agent.id }), 'ERR_IDENTITY_ISSUER_UNTRUSTED'],
  ['riskTier unknown', () => claims({ riskTier: 'none' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['name with control character', () => claims({ name: 'a\u0000b' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['name too long', () => claims({ name: 'x'.repeat(257) }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['tools not an array', () => claims({ tools: 't.*' }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['tools with **', () => claims({ tools: ['t.**'] }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['tools with a space', () => claims({ tools: ['t x'] }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['tools duplicated', () => claims({ tools: ['a', 'a'] }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['scopes with a number', () => claims({ scopes: [1] }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['args unknown restriction', () => claims({ args: { a: { regex: '.*' } } }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['args empty restriction', () => claims({ args: { a: {} } }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  [
    'args non-normal prefix',
    () => claims({ args: { p: { prefix: ['/data/../etc'] } } }),
    'ERR_IDENTITY_CLAIMS_INVALID',
  ],
  ['args NaN-like max', () => claims({ args: { n: { max: '10' } } }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['maxCalls zero', () => claims({ maxCalls: 0 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['maxCalls fractional', () => claims({ maxCalls: 1.5 }), 'ERR_IDENTITY_CLAIMS_INVALID'],
  ['a delegation link as credential', () => link, 'ERR_IDENTITY_TOKEN_MALFORMED'],
];

function hdrRaw(text: string): Promise<string> {
  return signed(text, JSON.stringify(payload));
}

describe('bad credentials', () => {
  it('the good token verifies (control)', async () => {
    expect((await verifyCredential(good, o)).ok).toBe(true);
  });

  it.each(tokens)('%s', async (_label, make, code) => {
    const token = await make();
    const result = await verifyCredential(token, o);
    expect(result).toMatchObject({ ok: false, code });
  });
});

describe('bad chains', () => {
  const chains: Array<[string, () => unknown, string]> = [
    ['not an array', () => good, 'ERR_IDENTITY_CHAIN_BROKEN'],
    ['empty', () => [], 'ERR_IDENTITY_CHAIN_BROKEN'],
    ['holding a number', () => [good, 7], 'ERR_IDENTITY_CHAIN_BROKEN'],
    [
      'too deep before any check',
      () => [good, ...Array.from({ length: 100 }, () => 'x')],
      'ERR_IDENTITY_CHAIN_TOO_DEEP',
    ],
    ['a credential as a link', () => [good, good], 'ERR_IDENTITY_TOKEN_MALFORMED'],
    ['a garbage link', () => [good, 'a.b.c'], 'ERR_IDENTITY_TOKEN_MALFORMED'],
    ['a link with an oversized token', () => [good, `${link}${'A'.repeat(20_000)}`], 'ERR_IDENTITY_TOKEN_TOO_LARGE'],
    ['links reversed', () => [link, good], 'ERR_IDENTITY_TOKEN_MALFORMED'],
  ];
  it.each(chains)('%s', async (_label, make, code) => {
    expect(await verifyChain(make(), o)).toMatchObject({ ok: false, code });
  });
});

describe('bad keys and anchors', () => {
  const smallOrder = new Uint8Array(32);
  smallOrder[0] = 1; // the identity point: small order
  const keys: Array<[string, () => unknown, string]> = [
    [
      'did:key of another codec',
      () => createTrustAnchors(['did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme' as `did:key:z${string}`]),
      'ERR_IDENTITY_DID_INVALID',
    ],
    [
      'truncated did:key',
      () => createTrustAnchors([authority.id.slice(0, -3) as `did:key:z${string}`]),
      'ERR_IDENTITY_DID_INVALID',
    ],
    [
      '31-byte raw key',
      () => createTrustAnchors([{ keys: [{ key: new Uint8Array(31) }] }]),
      'ERR_IDENTITY_KEY_INVALID',
    ],
    ['small-order raw key', () => createTrustAnchors([{ keys: [{ key: smallOrder }] }]), 'ERR_IDENTITY_KEY_INVALID'],
    [
      'JWK with padding',
      () => createTrustAnchors([{ keys: [{ key: { ...authority.publicJwk(), x: `${authority.publicJwk().x}=` } }] }]),
      'ERR_IDENTITY_JWK_INVALID',
    ],
    [
      'JWK of wrong curve',
      () =>
        createTrustAnchors([{ keys: [{ key: { kty: 'OKP', crv: 'X25519', x: authority.publicJwk().x } as never }] }]),
      'ERR_IDENTITY_JWK_INVALID',
    ],
  ];
  it.each(keys)('%s', (_label, make, code) => {
    expect(make).toThrow(expect.objectContaining({ code }));
  });
});

describe('bad revocation lists', () => {
  const lists: Array<[string, string]> = [
    ['a credential instead of a list', good],
    ['truncated', 'eyJhbGciOi'],
    ['binary garbage', '\u0000\u0001\u0002'],
    ['oversized', 'A'.repeat(20_000)],
  ];
  it.each(lists)('%s → ERR_IDENTITY_REVOCATION_UNAVAILABLE', async (_label, text) => {
    const checker = createRevocationChecker({ anchors, source: text, clock: () => NOW });
    expect(await checker.check({ jti: 'x-00000000', keys: [] })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
    });
  });
});

describe('fuzz', () => {
  it('property: arbitrary strings and arbitrary segment bytes never throw and never verify', async () => {
    const segment = fc.uint8Array({ maxLength: 200 }).map(toBase64Url);
    const token = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(segment, segment, segment).map((p) => p.join('.')),
      fc.tuple(fc.constant(H), segment, fc.constant(S)).map((p) => p.join('.')),
      fc.tuple(fc.constant(H), fc.json().map(b64), fc.constant(S)).map((p) => p.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(token, async (t) => {
        const r = await verifyCredential(t, o);
        expect(r.ok).toBe(false);
        expect(typeof (r as { code?: unknown }).code).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});
