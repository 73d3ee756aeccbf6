import { createIdentity, fromHex, fromUtf8, toBase64, toHex, utf8, verify } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALICE } from '../test/helpers.js';
import { AttestationError } from './errors.js';
import { decodeDsseBase64, encodeEnvelope, pae, parseEnvelope } from './dsse.js';
import { PAYLOAD_TYPE } from './schema.js';
import { createTrustStore } from './trust-store.js';
import { verifyCall } from './verify-call.js';

/*
 * Known answers from the DSSE specification repository, secure-systems-lab/dsse:
 * - protocol.md, "Test Vectors": PAE of "hello world" as http://example.com/HelloWorld.
 * - testvectors/vectors.json (at commit 82043adf78bb4e67c208f9ffa72b38804ea6a0c4): envelopes signed with the RFC 8032 §7.1
 *   TEST 1 (A) and TEST 2 (B) Ed25519 keys, each with the hex of its PAE and the expected
 *   verdict for the given trusted keys, threshold and supported payload types.
 * Not yet in ../shared/vectors; transcribed here field by field.
 */
const KEYS = {
  A: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  B: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
} as const;
const PUBLIC = {
  A: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  B: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
} as const;
type KeyName = keyof typeof KEYS;

const STATEMENT_B64 = 'eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==';
const PAE_INTOTO_43 =
  '445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d';
const SIG_A = '2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA==';
const SIG_B = 'c1+67/aT0yqEpwx8PsVY3MLHsj9D0CZ014/Fv/QlG59P+9CobUZ7xECJ/V3USG0Ob9CiE5LjReEZUzNF2l7eBw==';

interface Vector {
  id: string;
  payloadType: string;
  payload: string;
  signatures: { sig: string; keyid?: KeyName }[];
  trusted: KeyName[];
  threshold: number;
  supported: string[];
  /** Hex of the PAE the signatures cover (for the swapped vector: of the original type). */
  pae: string;
  expect: 'accept' | 'reject';
}

const VECTORS: Vector[] = [
  {
    id: 'single-signature',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [{ sig: SIG_A, keyid: 'A' }],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'accept',
  },
  {
    id: 'url-safe-base64',
    payloadType: PAYLOAD_TYPE,
    payload: '-_-_Pj8=',
    signatures: [
      { sig: 'P-_KHICeR7tI6S_YyejJTRtrXhcQyQ2LYPaL8h90KjC9qN8HU_svOQ6TuDOT1HIrsGW886DbWNWcCmX5twLrAw==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: '445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203520fbffbf3e3f',
    expect: 'accept',
  },
  {
    id: 'payload-type-swapped',
    payloadType: 'application/vnd.example.other+json',
    payload: STATEMENT_B64,
    signatures: [{ sig: SIG_A, keyid: 'A' }],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE, 'application/vnd.example.other+json'],
    pae: PAE_INTOTO_43,
    expect: 'reject',
  },
  {
    id: 'non-ascii-payload-type',
    payloadType: 'application/vnd.exämple+json',
    payload: STATEMENT_B64,
    signatures: [
      { sig: 'xmSk/ug66ysT7ayhkCIjhAq42zgZXSsEWuzUaNL7w2eGAdF/NU6/fRXPtmfN+5DNSAs5/i2lUnHjbbjPsu0tAw==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: ['application/vnd.exämple+json'],
    pae: '445353457631203239206170706c69636174696f6e2f766e642e6578c3a46d706c652b6a736f6e203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d',
    expect: 'accept',
  },
  {
    id: 'empty-payload',
    payloadType: PAYLOAD_TYPE,
    payload: '',
    signatures: [
      { sig: 'gSggCAaTLTYyRH6FIDBem6meyIynsYy8RTHVzwx9tnTb7Bg/1jMWnuVgI/gffqmbsC2VX5/jHfkkDqsj7CDbDg==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: '445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203020',
    expect: 'accept',
  },
  {
    id: 'empty-payload-type',
    payloadType: '',
    payload: STATEMENT_B64,
    signatures: [
      { sig: 'iC3q/+3Rm0+lpAJRueDmDh15PnwCfxKmS0NAfKsbv+zgulXQC/WM9trc+j1XEqlwDIg/vf/uNfebeD6sxInrDg==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: '445353457631203020203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d',
    expect: 'reject',
  },
  {
    id: 'threshold-two-distinct-keys',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [
      { sig: SIG_A, keyid: 'A' },
      { sig: SIG_B, keyid: 'B' },
    ],
    trusted: ['A', 'B'],
    threshold: 2,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'accept',
  },
  {
    id: 'threshold-two-one-key-twice',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [
      { sig: SIG_A, keyid: 'A' },
      { sig: SIG_A, keyid: 'A' },
    ],
    trusted: ['A', 'B'],
    threshold: 2,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'reject',
  },
  {
    id: 'threshold-two-without-keyids',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [{ sig: SIG_A }, { sig: SIG_B }],
    trusted: ['A', 'B'],
    threshold: 2,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'accept',
  },
];

/** DSSE protocol.md "Multi-signature Verification", built on our pae() and base64 decoding. */
function dsseVerdict(v: Vector): 'accept' | 'reject' {
  const body = decodeDsseBase64(v.payload, 'payload');
  const message = pae(v.payloadType, body);
  const accepted = new Set<KeyName>();
  for (const s of v.signatures) {
    const sig = decodeDsseBase64(s.sig, 'sig');
    for (const name of s.keyid ? [s.keyid] : v.trusted) {
      if (v.trusted.includes(name) && verify(sig, message, fromHex(PUBLIC[name]))) accepted.add(name);
    }
  }
  if (accepted.size < v.threshold) return 'reject';
  return v.supported.includes(v.payloadType) ? 'accept' : 'reject';
}

describe('pae (DSSE protocol.md)', () => {
  it('matches the protocol.md example', () => {
    expect(fromUtf8(pae('http://example.com/HelloWorld', utf8('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it.each(VECTORS)('matches the PAE of vector $id', (v) => {
    const body = decodeDsseBase64(v.payload, 'payload');
    if (v.id === 'payload-type-swapped') {
      // Its signature covers the in-toto type; the envelope's claimed type gives other bytes.
      expect(toHex(pae(PAYLOAD_TYPE, body))).toBe(v.pae);
      expect(toHex(pae(v.payloadType, body))).not.toBe(v.pae);
    } else {
      expect(toHex(pae(v.payloadType, body))).toBe(v.pae);
    }
  });

  it('is the concatenation the spec defines, for any type and body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 300 }), (type, body) => {
        const t = utf8(type);
        const head = utf8(`DSSEv1 ${t.length} ${type} ${body.length} `);
        const out = pae(type, body);
        expect(toHex(out)).toBe(toHex(head) + toHex(body));
      }),
    );
  });
});

describe('DSSE vectors (secure-systems-lab/dsse testvectors/vectors.json)', () => {
  it.each(VECTORS)('$id: $expect', (v) => {
    expect(dsseVerdict(v)).toBe(v.expect);
  });

  it('reproduces every signature of keys A and B (deterministic Ed25519)', async () => {
    for (const v of VECTORS) {
      const message = pae(v.payloadType, decodeDsseBase64(v.payload, 'payload'));
      for (const s of v.signatures) {
        const signer = (['A', 'B'] as const).find((k) =>
          verify(decodeDsseBase64(s.sig, 'sig'), message, fromHex(PUBLIC[k])),
        );
        if (signer === undefined) continue; // the swapped-type vector's signature covers another PAE
        const sig = await createIdentity({ secretKey: fromHex(KEYS[signer]) }).sign(message);
        expect(toBase64(sig)).toBe(s.sig.replaceAll('-', '+').replaceAll('_', '/'));
      }
    }
  });

  it('our verifier checks the vector signature, then refuses the payload as a call statement', async () => {
    const a = createIdentity({ secretKey: fromHex(KEYS.A) });
    expect(toHex(a.publicKey)).toBe(PUBLIC.A);
    const trust = createTrustStore([a.id]);
    for (const id of ['single-signature', 'url-safe-base64', 'empty-payload']) {
      const v = VECTORS.find((x) => x.id === id) as Vector;
      const envelope = {
        payloadType: v.payloadType,
        payload: v.payload,
        signatures: [{ keyid: a.keyId, sig: v.signatures[0]?.sig }],
      };
      const result = await verifyCall(envelope, { trust, skipArgsCheck: true });
      // Past the signature (a tampered one would be ERR_SIGNATURE_INVALID), refused as a statement.
      expect(result).toMatchObject({ ok: false, code: 'ERR_STATEMENT_INVALID' });
    }
    const swapped = VECTORS.find((x) => x.id === 'payload-type-swapped') as Vector;
    const other = await verifyCall(
      { payloadType: swapped.payloadType, payload: swapped.payload, signatures: [{ keyid: a.keyId, sig: SIG_A }] },
      { trust, skipArgsCheck: true },
    );
    expect(other).toMatchObject({ ok: false, code: 'ERR_ENVELOPE_PAYLOAD_TYPE' });
  });
});

describe('decodeDsseBase64', () => {
  it('accepts both alphabets for the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const std = toBase64(bytes);
        const url = std.replaceAll('+', '-').replaceAll('/', '_');
        expect(decodeDsseBase64(std, 'f')).toEqual(bytes);
        expect(decodeDsseBase64(url, 'f')).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['mixed alphabets', 'ab+-'],
    ['missing padding', 'QQ'],
    ['non-canonical trailing bits', 'QR=='],
    ['bad character', 'QQ!='],
    ['whitespace', 'QQ== '],
  ])('refuses %s', (_, text) => {
    expect(() => decodeDsseBase64(text, 'f')).toThrow(expect.objectContaining({ code: 'ERR_ENVELOPE_MALFORMED' }));
  });
});

describe('parseEnvelope / encodeEnvelope', () => {
  const envelope = { payloadType: PAYLOAD_TYPE, payload: 'e30=', signatures: [{ keyid: ALICE.keyId, sig: 'AA==' }] };

  it('round-trips text, bytes and objects to the same frozen envelope', () => {
    const text = encodeEnvelope(envelope);
    for (const input of [text, utf8(text), envelope]) {
      const parsed = parseEnvelope(input);
      expect(parsed).toEqual(envelope);
      expect(Object.isFrozen(parsed)).toBe(true);
      expect(Object.isFrozen(parsed.signatures[0])).toBe(true);
    }
  });

  it('copies: changing the input afterwards does not change the result', () => {
    const input = structuredClone(envelope);
    const parsed = parseEnvelope(input);
    input.payload = 'AAAA';
    (input.signatures[0] as { keyid: string }).keyid = 'x';
    expect(parsed).toEqual(envelope);
  });

  it('throws AttestationError with a code', () => {
    let error: unknown;
    try {
      parseEnvelope('{');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AttestationError);
    expect(error).toMatchObject({ name: 'AttestationError', code: 'ERR_ENVELOPE_MALFORMED' });
  });
});
