import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEYS, type KeyName, PUBLIC, type Vector, VECTORS } from '../test/dsse-vectors.js';
import { pae, signEnvelope, type EnvelopeVerifier, verifyEnvelope } from './dsse.js';
import { fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from './encoding.js';
import { decodeDsseBase64, parseEnvelope } from './envelope.js';
import { StatementError } from './errors.js';
import { IN_TOTO_PAYLOAD_TYPE } from './in-toto.js';

// Ed25519 through node:crypto, test-only: the statement layer never talks to a signature scheme itself.
const PKCS8_PREFIX = '302e020100300506032b657004220420';
const SPKI_PREFIX = '302a300506032b6570032100';
const privateKey = (name: KeyName) =>
  createPrivateKey({ key: Buffer.from(PKCS8_PREFIX + KEYS[name], 'hex'), format: 'der', type: 'pkcs8' });
const publicKey = (name: KeyName) =>
  createPublicKey({ key: Buffer.from(SPKI_PREFIX + PUBLIC[name], 'hex'), format: 'der', type: 'spki' });
const signer = (name: KeyName, keyid: string = name) => ({
  keyid,
  sign: (message: Uint8Array) => new Uint8Array(nodeSign(null, message, privateKey(name))),
});
const verifierOf =
  (name: KeyName): EnvelopeVerifier =>
  (sig, message) =>
    sig.length === 64 && nodeVerify(null, message, publicKey(name), sig);
const trusting =
  (...names: KeyName[]) =>
  (keyid: string) =>
    (names as string[]).includes(keyid) ? verifierOf(keyid as KeyName) : undefined;

describe('pae (DSSE protocol.md)', () => {
  it('matches the protocol.md example', () => {
    expect(fromUtf8(pae('http://example.com/HelloWorld', utf8('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it.each(VECTORS)('matches the PAE of vector $id', (v) => {
    const body = decodeDsseBase64(v.payload, 'payload');
    const type = v.id === 'payload-type-swapped' ? IN_TOTO_PAYLOAD_TYPE : v.payloadType;
    expect(toHex(pae(type, body))).toBe(v.pae);
  });

  it('is the concatenation the spec defines, for any type and body (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 300 }), (type, body) => {
        const head = utf8(`DSSEv1 ${utf8(type).length} ${type} ${body.length} `);
        expect(toHex(pae(type, body))).toBe(toHex(head) + toHex(body));
      }),
    );
  });
});

/** A vector as an envelope this layer accepts: a keyid on every signature, as AgentGuard requires. */
function envelopeOf(v: Vector) {
  return { payloadType: v.payloadType, payload: v.payload, signatures: v.signatures.map((s) => ({ ...s })) };
}

describe('DSSE vectors (secure-systems-lab/dsse testvectors/vectors.json)', () => {
  it.each(VECTORS.filter((v) => v.signatures.every((s) => s.keyid !== undefined)))('$id: $expect', (v) => {
    const result = verifyEnvelope(envelopeOf(v), {
      verifierFor: trusting(...v.trusted),
      threshold: v.threshold,
      maxSignatures: Math.max(v.threshold, v.signatures.length),
    });
    const accepted = result.ok && v.supported.includes(v.payloadType);
    expect(accepted ? 'accept' : 'reject').toBe(v.expect);
  });

  it('refuses a signature list without keyids (AgentGuard requires keyid; DSSE leaves it optional)', () => {
    const v = VECTORS.find((x) => x.id === 'threshold-two-without-keyids') as Vector;
    const result = verifyEnvelope(envelopeOf(v), { verifierFor: trusting('A', 'B'), threshold: 2, maxSignatures: 2 });
    expect(result).toMatchObject({ ok: false, code: 'ERR_STATEMENT_ENVELOPE_MALFORMED' });
    const labelled = {
      ...envelopeOf(v),
      signatures: v.signatures.map((s, i) => ({ keyid: i === 0 ? 'A' : 'B', sig: s.sig })),
    };
    expect(verifyEnvelope(labelled, { verifierFor: trusting('A', 'B'), threshold: 2, maxSignatures: 2 }).ok).toBe(true);
  });

  it('signEnvelope reproduces the reference envelope byte for byte (deterministic Ed25519)', async () => {
    const v = VECTORS.find((x) => x.id === 'single-signature') as Vector;
    const envelope = await signEnvelope(v.payloadType, fromBase64(v.payload), [signer('A')]);
    expect(envelope).toEqual(envelopeOf(v));
    const two = VECTORS.find((x) => x.id === 'threshold-two-distinct-keys') as Vector;
    expect(await signEnvelope(two.payloadType, fromBase64(two.payload), [signer('A'), signer('B')])).toEqual(
      envelopeOf(two),
    );
  });
});

describe('verifyEnvelope', () => {
  const body = utf8('{"_type":"https://in-toto.io/Statement/v1"}');
  const options = { payloadType: IN_TOTO_PAYLOAD_TYPE, verifierFor: trusting('A') };

  it('returns the exact payload bytes and the keyids that verified', async () => {
    const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, [signer('A')]);
    const result = verifyEnvelope(JSON.stringify(envelope), options);
    expect(result).toMatchObject({ ok: true, keyids: ['A'] });
    expect(result.ok && toHex(result.payload)).toBe(toHex(body));
  });

  it('fails a signature relabelled with another trusted keyid', async () => {
    const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, [signer('B', 'A')]);
    expect(verifyEnvelope(envelope, options)).toMatchObject({ ok: false, code: 'ERR_STATEMENT_SIGNATURE_INVALID' });
  });

  it('does not count a keyid without a verifier, and refuses when none is left', async () => {
    const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, [signer('B')]);
    expect(verifyEnvelope(envelope, options)).toMatchObject({ ok: false, code: 'ERR_STATEMENT_KEY_UNTRUSTED' });
    const both = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, [signer('A'), signer('B')]);
    expect(verifyEnvelope(both, { ...options, maxSignatures: 2 })).toMatchObject({ ok: true, keyids: ['A'] });
    expect(verifyEnvelope(both, { ...options, maxSignatures: 2, threshold: 2 })).toMatchObject({
      ok: false,
      code: 'ERR_STATEMENT_SIGNATURE_INVALID',
    });
  });

  it('fails closed when a verifier lookup or a verifier throws', async () => {
    const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, [signer('A')]);
    const boom = () => {
      throw new Error('boom');
    };
    expect(verifyEnvelope(envelope, { verifierFor: boom })).toMatchObject({
      ok: false,
      code: 'ERR_STATEMENT_KEY_UNTRUSTED',
    });
    expect(verifyEnvelope(envelope, { verifierFor: () => boom })).toMatchObject({
      ok: false,
      code: 'ERR_STATEMENT_SIGNATURE_INVALID',
    });
    expect(verifyEnvelope(envelope, { verifierFor: () => () => 1 as unknown as boolean })).toMatchObject({
      ok: false,
      code: 'ERR_STATEMENT_SIGNATURE_INVALID',
    });
  });

  it('round-trips any payload and type, and any changed byte of payload, type or signature fails (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (type, payload, at, flip) => {
          const envelope = await signEnvelope(type, payload, [signer('A')]);
          const ok = verifyEnvelope(JSON.stringify(envelope), { verifierFor: trusting('A') });
          expect(ok.ok && toHex(ok.payload)).toBe(toHex(payload));
          const sig = fromBase64((envelope.signatures[0] as { sig: string }).sig);
          const tamper = (bytes: Uint8Array) => {
            const copy = bytes.slice();
            copy[at % copy.length] = (copy[at % copy.length] as number) ^ flip;
            return copy;
          };
          const variants = [
            { ...envelope, signatures: [{ keyid: 'A', sig: toBase64(tamper(sig)) }] },
            { ...envelope, payloadType: `${type}x` },
          ];
          if (payload.length > 0) variants.push({ ...envelope, payload: toBase64(tamper(payload)) });
          for (const variant of variants) {
            expect(verifyEnvelope(variant, { verifierFor: trusting('A') }).ok).toBe(false);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('parseEnvelope: hostile input is a typed error, never a crash', () => {
  const good = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: 'e30=', signatures: [{ keyid: 'A', sig: 'AA==' }] };
  const goodText = JSON.stringify(good);
  const throwing = { ...good };
  Object.defineProperty(throwing, 'payload', {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });
  const deep: unknown[] = [];
  let cursor = deep;
  for (let i = 0; i < 100_000; i++) {
    const next: unknown[] = [];
    cursor.push(next);
    cursor = next;
  }
  const rows: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['undefined', () => undefined, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['null', () => null, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a number', () => 42, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a bigint', () => 42n, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a symbol', () => Symbol('x'), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a function', () => () => good, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['an array', () => [good], 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a Map', () => new Map(Object.entries(good)), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a class instance', () => new (class Envelope {})(), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a throwing getter', () => throwing, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['a deep array value', () => deep, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['deep text', () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'ERR_STATEMENT_ENVELOPE_TOO_LARGE'],
    ['deep small text', () => `${'['.repeat(1000)}${']'.repeat(1000)}`, 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['huge text', () => `${goodText}${' '.repeat(200_000)}`, 'ERR_STATEMENT_ENVELOPE_TOO_LARGE'],
    ['huge payload', () => ({ ...good, payload: 'A'.repeat(200_000) }), 'ERR_STATEMENT_ENVELOPE_TOO_LARGE'],
    ['__proto__ in text', () => goodText.replace('{', '{"__proto__":{},'), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    [
      '__proto__ own member',
      () => JSON.parse(goodText.replace('{', '{"__proto__":{},')),
      'ERR_STATEMENT_ENVELOPE_MALFORMED',
    ],
    ['duplicate member', () => goodText.replace('{', '{"payload":"e30=",'), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['extra field', () => ({ ...good, extra: 1 }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    [
      'extra signature field',
      () => ({ ...good, signatures: [{ keyid: 'A', sig: 'AA==', cert: 'x' }] }),
      'ERR_STATEMENT_ENVELOPE_MALFORMED',
    ],
    ['payloadType a number', () => ({ ...good, payloadType: 1 }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['payloadType empty', () => ({ ...good, payloadType: '' }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['payload an array', () => ({ ...good, payload: ['e30='] }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['payload non-canonical base64', () => ({ ...good, payload: 'e31=' }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['payload unpadded', () => ({ ...good, payload: 'e30' }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['payload mixed alphabets', () => ({ ...good, payload: 'a+-_' }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['no signatures', () => ({ ...good, signatures: [] }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    [
      'two signatures',
      () => ({ ...good, signatures: [good.signatures[0], { keyid: 'B', sig: 'AA==' }] }),
      'ERR_STATEMENT_ENVELOPE_MALFORMED',
    ],
    ['signature without keyid', () => ({ ...good, signatures: [{ sig: 'AA==' }] }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    [
      'keyid a number',
      () => ({ ...good, signatures: [{ keyid: 7, sig: 'AA==' }] }),
      'ERR_STATEMENT_ENVELOPE_MALFORMED',
    ],
    [
      'sig too long',
      () => ({ ...good, signatures: [{ keyid: 'A', sig: 'A'.repeat(200) }] }),
      'ERR_STATEMENT_ENVELOPE_MALFORMED',
    ],
    ['sparse signatures', () => ({ ...good, signatures: new Array(1) }), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
    ['bytes not UTF-8', () => Uint8Array.of(0x7b, 0xff, 0x7d), 'ERR_STATEMENT_ENVELOPE_MALFORMED'],
  ];
  it.each(rows)('%s → %s', (_name, make, code) => {
    const input = make();
    let error: unknown;
    try {
      parseEnvelope(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StatementError);
    expect((error as StatementError).code).toBe(code);
    expect(verifyEnvelope(input, { verifierFor: trusting('A') })).toMatchObject({ ok: false, code });
  });

  it('refuses repeated keyids even when two signatures are allowed (no double counting)', () => {
    const twice = { ...good, signatures: [good.signatures[0], good.signatures[0]] };
    expect(() => parseEnvelope(twice, { maxSignatures: 2 })).toThrow(
      expect.objectContaining({ code: 'ERR_STATEMENT_ENVELOPE_MALFORMED' }),
    );
  });

  it('reads each field once: a getter cannot show one value to the check and another to the use', () => {
    let reads = 0;
    const flaky = {
      ...good,
      get payload() {
        reads++;
        return reads === 1 ? 'e30=' : 'AAAA';
      },
    };
    expect(parseEnvelope(flaky).payload).toBe('e30=');
    expect(reads).toBe(1);
  });

  it('checks the payload type when asked, and returns a frozen copy', () => {
    expect(() => parseEnvelope(good, { payloadType: 'application/json' })).toThrow(
      expect.objectContaining({ code: 'ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE' }),
    );
    const input = structuredClone(good);
    const parsed = parseEnvelope(input);
    input.payload = 'AAAA';
    expect(parsed).toEqual(good);
    expect(Object.isFrozen(parsed) && Object.isFrozen(parsed.signatures[0])).toBe(true);
  });

  it('throws RangeError/TypeError on misuse of options', () => {
    expect(() => parseEnvelope(good, { maxSignatures: 0 })).toThrow(RangeError);
    expect(() => parseEnvelope(good, { maxPayloadBytes: 2 ** 30 })).toThrow(RangeError);
    expect(() => verifyEnvelope(good, { verifierFor: 'A' as never })).toThrow(TypeError);
    expect(() => verifyEnvelope(good, { verifierFor: trusting('A'), threshold: 2 })).toThrow(RangeError);
  });

  it('accepts both base64 alphabets for the same bytes (DSSE protocol.md), canonical only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const std = toBase64(bytes);
        expect(decodeDsseBase64(std, 'f')).toEqual(bytes);
        expect(decodeDsseBase64(std.replaceAll('+', '-').replaceAll('/', '_'), 'f')).toEqual(bytes);
      }),
    );
    expect(fromHex('00')).toEqual(decodeDsseBase64('AA==', 'f'));
  });
});
