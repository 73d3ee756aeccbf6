import { createIdentity, fromHex, fromUtf8, toBase64, toHex, utf8, verify } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEYS, PUBLIC, SIG_A, type Vector, VECTORS, type KeyName } from '../test/dsse-vectors.js';
import { ALICE } from '../test/helpers.js';
import { AttestationError } from './errors.js';
import { decodeDsseBase64, encodeEnvelope, pae, parseEnvelope } from './dsse.js';
import { PAYLOAD_TYPE } from './schema.js';
import { createTrustStore } from './trust-store.js';
import { verifyCall } from './verify-call.js';

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
      // Past the signature (a tampered one would be ERR_ATTESTATION_SIGNATURE_INVALID), refused as a statement.
      expect(result).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_STATEMENT_INVALID' });
    }
    const swapped = VECTORS.find((x) => x.id === 'payload-type-swapped') as Vector;
    const other = await verifyCall(
      { payloadType: swapped.payloadType, payload: swapped.payload, signatures: [{ keyid: a.keyId, sig: SIG_A }] },
      { trust, skipArgsCheck: true },
    );
    expect(other).toMatchObject({ ok: false, code: 'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE' });
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
    expect(() => decodeDsseBase64(text, 'f')).toThrow(
      expect.objectContaining({ code: 'ERR_ATTESTATION_ENVELOPE_MALFORMED' }),
    );
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
    expect(error).toMatchObject({ name: 'AttestationError', code: 'ERR_ATTESTATION_ENVELOPE_MALFORMED' });
  });
});
