import { createIdentity } from '@agentguard/identity';
import { fromBase64, toBase64 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signStatus } from './sign.js';
import { verifyStatus } from './verify.js';

const operator = createIdentity({ name: 'operator' });
const agent = createIdentity({ name: 'agent' });
const stranger = createIdentity({ name: 'stranger' });
const T0 = Date.UTC(2026, 0, 1);
const suspendAll = [{ kind: 'suspend' as const, scope: { kind: 'all' as const }, reason: 'incident' }];
const opts = { trust: [operator.id], channel: 'prod', excludedKeys: [agent.id], nowMs: T0 + 1_000 };

describe('verifyStatus', () => {
  it('accepts a status signed by a trusted operator, and reads its measures', async () => {
    const signed = await signStatus({ operator, channel: 'prod', seq: 3, measures: suspendAll, nowMs: T0 });
    const result = verifyStatus(signed, opts);
    expect(result).toMatchObject({
      ok: true,
      fresh: true,
      status: { seq: 3, issuer: operator.id, measures: suspendAll },
    });
    // Its JSON text verifies the same.
    expect(verifyStatus(JSON.stringify(signed), opts)).toMatchObject({ ok: true });
  });

  it('refuses a forged signature, another key, and the agent own key even when trusted', async () => {
    const signed = await signStatus({ operator, channel: 'prod', seq: 1, measures: [], nowMs: T0 });
    const sig = fromBase64(signed.signatures[0]?.sig as string);
    sig[0] = (sig[0] as number) ^ 1;
    const forged = { ...signed, signatures: [{ ...signed.signatures[0], sig: toBase64(sig) }] };
    expect(verifyStatus(forged, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_FORGED' });

    const byStranger = await signStatus({ operator: stranger, channel: 'prod', seq: 9, measures: [], nowMs: T0 });
    expect(verifyStatus(byStranger, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_UNTRUSTED' });

    // The agent lifting its own suspension: refused even if someone put its key among the operators.
    const byAgent = await signStatus({ operator: agent, channel: 'prod', seq: 9, measures: [], nowMs: T0 });
    const trustingAgent = { ...opts, trust: [operator.id, agent.id] };
    expect(verifyStatus(byAgent, trustingAgent)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_UNTRUSTED' });
  });

  it('refuses a payload signed by one trusted key that names another as issuer', async () => {
    const other = createIdentity();
    const signed = await signStatus({ operator: other, channel: 'prod', seq: 2, measures: [], nowMs: T0 });
    // Re-sign the same payload with the operator key under the operator's keyid: issuer (other) != signer.
    const { signEnvelope, fromBase64: b64, IN_TOTO_PAYLOAD_TYPE } = await import('@agentguard/statement');
    const resigned = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, b64(signed.payload), [
      { keyid: operator.keyId, sign: (m) => operator.sign(m) },
    ]);
    expect(verifyStatus(resigned, { ...opts, trust: [operator.id, other.id] })).toMatchObject({
      ok: false,
      code: 'ERR_INCIDENT_STATUS_FORGED',
    });
  });

  it('refuses replayed and out-of-order statuses, and conflicting ones; the same one again is a confirmation', async () => {
    const s5 = await signStatus({ operator, channel: 'prod', seq: 5, measures: suspendAll, nowMs: T0 });
    const s4 = await signStatus({ operator, channel: 'prod', seq: 4, measures: [], nowMs: T0 + 500 });
    const other5 = await signStatus({ operator, channel: 'prod', seq: 5, measures: [], nowMs: T0 });
    const first = verifyStatus(s5, opts);
    if (!first.ok) throw new Error(first.reason);
    const known = { seq: first.status.seq, hash: first.status.hash };
    expect(verifyStatus(s4, { ...opts, known })).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_REPLAYED' });
    expect(verifyStatus(other5, { ...opts, known })).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_CONFLICT' });
    expect(verifyStatus(s5, { ...opts, known })).toMatchObject({ ok: true, fresh: false });
    const s7 = await signStatus({ operator, channel: 'prod', seq: 7, measures: [], nowMs: T0 });
    expect(verifyStatus(s7, { ...opts, known })).toMatchObject({ ok: true, fresh: true });
  });

  it('refuses expired statuses, statuses from the future, and other channels', async () => {
    const short = await signStatus({ operator, channel: 'prod', seq: 1, measures: [], nowMs: T0, ttlMs: 500 });
    expect(verifyStatus(short, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_EXPIRED' });
    const future = await signStatus({ operator, channel: 'prod', seq: 1, measures: [], nowMs: T0 + 120_000 });
    expect(verifyStatus(future, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_NOT_YET_VALID' });
    const staging = await signStatus({ operator, channel: 'staging', seq: 1, measures: [], nowMs: T0 });
    expect(verifyStatus(staging, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_WRONG_CHANNEL' });
  });

  it('refuses a status valid for longer than maxValidityMs (24 h by default), and never signs one', async () => {
    const twoHours = await signStatus({ operator, channel: 'prod', seq: 1, measures: [], nowMs: T0, ttlMs: 7_200_000 });
    expect(verifyStatus(twoHours, opts)).toMatchObject({ ok: true });
    expect(verifyStatus(twoHours, { ...opts, maxValidityMs: 3_600_000 })).toMatchObject({
      ok: false,
      code: 'ERR_INCIDENT_STATUS_MALFORMED',
    });
    await expect(
      signStatus({ operator, channel: 'prod', seq: 2, measures: [], nowMs: T0, ttlMs: 86_400_001 }),
    ).rejects.toThrow(RangeError);
    expect(() => verifyStatus(twoHours, { ...opts, maxValidityMs: 0 })).toThrow(RangeError);
  });

  it('refuses malformed input with a code, never a throw', async () => {
    const signed = await signStatus({ operator, channel: 'prod', seq: 1, measures: [], nowMs: T0 });
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const bad: unknown[] = [
      undefined,
      null,
      42,
      'not json',
      '{"__proto__":{"payload":"x"}}',
      deep,
      'x'.repeat(1_000_000),
      {},
      [],
      { ...signed, payload: 'AAAA' },
      { ...signed, payloadType: 'text/plain' },
      { ...signed, extra: 1 },
      { ...signed, signatures: [] },
      { ...signed, signatures: [signed.signatures[0], signed.signatures[0]] },
      new Uint8Array([0xff, 0xfe]),
    ];
    for (const input of bad) {
      const result = verifyStatus(input, opts);
      expect(result.ok, String(input).slice(0, 40)).toBe(false);
      if (!result.ok) expect(result.code).toMatch(/^ERR_INCIDENT_STATUS_(MALFORMED|UNTRUSTED|FORGED)$/);
    }
  });

  it('refuses a status whose payload is not canonical, or whose subject digest does not match', async () => {
    const {
      signEnvelope,
      fromBase64: b64,
      fromUtf8,
      utf8,
      IN_TOTO_PAYLOAD_TYPE,
    } = await import('@agentguard/statement');
    const signed = await signStatus({ operator, channel: 'prod', seq: 1, measures: suspendAll, nowMs: T0 });
    const statement = JSON.parse(fromUtf8(b64(signed.payload)));
    const sign = (text: string) =>
      signEnvelope(IN_TOTO_PAYLOAD_TYPE, utf8(text), [{ keyid: operator.keyId, sign: (m) => operator.sign(m) }]);
    const spaced = await sign(JSON.stringify(statement, null, 1));
    expect(verifyStatus(spaced, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_MALFORMED' });
    // Measures dropped from the predicate, subject left as it was: the digest no longer matches.
    const { canonicalize } = await import('@agentguard/statement');
    const lifted = await sign(canonicalize({ ...statement, predicate: { ...statement.predicate, measures: [] } }));
    expect(verifyStatus(lifted, opts)).toMatchObject({ ok: false, code: 'ERR_INCIDENT_STATUS_MALFORMED' });
  });

  it('property: flipping any byte of a signed status never yields an accepted different status', async () => {
    const signed = await signStatus({ operator, channel: 'prod', seq: 2, measures: suspendAll, nowMs: T0 });
    const text = JSON.stringify(signed);
    const good = verifyStatus(text, opts);
    if (!good.ok) throw new Error(good.reason);
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 127 }), (at, delta) => {
        const code = (text.charCodeAt(at) + delta) % 128;
        const mutated = text.slice(0, at) + String.fromCharCode(code) + text.slice(at + 1);
        const result = verifyStatus(mutated, opts);
        // Either refused, or (base64 padding bits, JSON whitespace) exactly the same status.
        if (result.ok) expect(result.status.hash).toBe(good.status.hash);
      }),
      { numRuns: 300 },
    );
  });

  it('misuse of options throws TypeError / RangeError', () => {
    expect(() => verifyStatus({}, { ...opts, channel: 'has space' })).toThrow(TypeError);
    expect(() => verifyStatus({}, { ...opts, trust: 'x' as never })).toThrow(TypeError);
    expect(() => verifyStatus({}, { ...opts, clockSkewMs: -1 })).toThrow(RangeError);
  });

  it("a trust store that maps another id to the agent's key cannot get round excludedKeys", async () => {
    const decoy = createIdentity({ name: 'decoy' });
    // Signed with the agent's key, under the decoy's id.
    const forged = await signStatus({
      operator: { ...decoy, sign: (m: Uint8Array) => agent.sign(m) },
      channel: 'prod',
      seq: 1,
      measures: [],
      nowMs: T0,
    });
    const trust = {
      add: () => undefined,
      delete: () => false,
      has: (did: string) => did.startsWith(decoy.id),
      publicKeyFor: (keyid: string) => (keyid.startsWith(decoy.id) ? agent.publicKey : undefined),
    };
    expect(verifyStatus(forged, { ...opts, trust: trust as never })).toMatchObject({
      ok: false,
      code: 'ERR_INCIDENT_STATUS_UNTRUSTED',
    });
  });
});
