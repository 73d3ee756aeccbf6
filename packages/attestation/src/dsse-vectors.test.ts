import { createIdentity } from '@agentguard/identity';
import { fromHex, toHex } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import { KEYS, PUBLIC, SIG_A, type Vector, VECTORS } from '../../statement/test/dsse-vectors.js';
import { createTrustStore } from './trust-store.js';
import { verifyCall } from './verify-call.js';

// PAE and the DSSE vectors themselves are tested in @agentguard/statement; here, that a call verifier built on it
// gets past the signature of a reference envelope and then reads the payload as a call statement.
describe('DSSE vectors through the call verifier (secure-systems-lab/dsse testvectors/vectors.json)', () => {
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
