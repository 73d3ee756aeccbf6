import { createTrustStore } from '@agentguard/attestation';
import { sign } from '@agentguard/identity';
import { canonicalize, concatBytes, fromBase64, fromUtf8, toBase64, utf8, pae } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../log/log.js';
import { hashBody, recordLine, recordSigningBytes } from '../record/record.js';
import { createMemorySink } from '../log/sink.js';
import { AGENT, ARGS_DIGEST, callEnvelope, event, OTHER, POLICY_HASH, writeLog } from '../../test/helpers.js';
import { verifyLog } from './verify.js';

const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;

describe('verifyLog', () => {
  it('passes an intact log, anchored with trust and not anchored without', async () => {
    const sink = await writeLog(5);
    expect(verifyLog(sink.text(), { trust: [AGENT.id] })).toMatchObject({
      ok: true,
      records: 5,
      anchored: true,
      signers: [AGENT.id],
      head: JSON.parse(sink.lines[4] as string).hash,
    });
    expect(verifyLog(sink.text())).toMatchObject({ ok: true, records: 5, anchored: false });
    expect(verifyLog('')).toMatchObject({ ok: true, records: 0 });
  });

  describe('catches each tampering at the right line', async () => {
    const sink = await writeLog(6);
    const lines = [...sink.lines];

    it('one byte changed in a value', () => {
      const changed = [...lines];
      changed[2] = (changed[2] as string).replace('"tool":"search"', '"tool":"searcH"');
      expect(verifyLog(text(changed), { trust: [AGENT.id] })).toMatchObject({
        ok: false,
        line: 3,
        records: 2,
        code: 'ERR_AUDIT_HASH_MISMATCH',
      });
    });

    it('a record deleted', () => {
      const deleted = lines.filter((_, i) => i !== 3);
      expect(verifyLog(text(deleted), { trust: [AGENT.id] })).toMatchObject({
        ok: false,
        line: 4,
        code: 'ERR_AUDIT_CHAIN_BROKEN',
        reason: expect.stringContaining('records missing'),
      });
    });

    it('two records swapped', () => {
      const swapped = [...lines];
      [swapped[1], swapped[2]] = [swapped[2] as string, swapped[1] as string];
      expect(verifyLog(text(swapped), { trust: [AGENT.id] })).toMatchObject({
        ok: false,
        line: 2,
        code: 'ERR_AUDIT_CHAIN_BROKEN',
      });
    });

    it('a record appended, signed by another key', async () => {
      const last = JSON.parse(lines[5] as string);
      const body = { ...last, seq: 6, prev: last.hash, callId: 'forged', signer: OTHER.id, agent: OTHER.id };
      delete body.hash;
      delete body.sig;
      const hash = hashBody(body);
      const sig = toBase64(await OTHER.sign(recordSigningBytes(hash)));
      const forged = [...lines, recordLine({ ...body, hash, sig })];
      expect(verifyLog(text(forged), { trust: [AGENT.id] })).toMatchObject({
        ok: false,
        line: 7,
        code: 'ERR_AUDIT_UNTRUSTED_SIGNER',
      });
      // Without trust the chain holds, but two signers show and nothing is anchored.
      expect(verifyLog(text(forged))).toMatchObject({ ok: true, anchored: false, signers: [AGENT.id, OTHER.id] });
    });

    it('a truncated last line', () => {
      const cut = `${lines.slice(0, 4).join('\n')}\n${(lines[4] as string).slice(0, 40)}`;
      expect(verifyLog(cut, { trust: [AGENT.id] })).toMatchObject({
        ok: false,
        line: 5,
        records: 4,
        code: 'ERR_AUDIT_RECORD_TRUNCATED',
      });
      // A cut line followed by more records is malformed at that line.
      const middle = text([...lines.slice(0, 2), (lines[2] as string).slice(0, 40), ...lines.slice(3)]);
      expect(verifyLog(middle)).toMatchObject({ ok: false, line: 3, code: 'ERR_AUDIT_RECORD_MALFORMED' });
    });

    it('a signature replaced', () => {
      const changed = [...lines];
      const record = JSON.parse(changed[1] as string);
      record.sig = JSON.parse(lines[0] as string).sig;
      changed[1] = recordLine(record);
      expect(verifyLog(text(changed))).toMatchObject({ ok: false, line: 2, code: 'ERR_AUDIT_SIGNATURE_INVALID' });
    });

    it('a record re-encoded (not canonical), with a duplicate key, or with an unknown field', () => {
      const record = JSON.parse(lines[0] as string);
      const pretty = JSON.stringify(record, null, 1).replaceAll('\n', '');
      expect(verifyLog(text([pretty, ...lines.slice(1)]))).toMatchObject({
        ok: false,
        line: 1,
        code: 'ERR_AUDIT_RECORD_MALFORMED',
      });
      const dup = (lines[1] as string).replace('{', '{"seq":1,');
      expect(verifyLog(text([lines[0] as string, dup]))).toMatchObject({
        ok: false,
        line: 2,
        reason: expect.stringContaining('duplicate'),
      });
      const extra = recordLine({ ...JSON.parse(lines[0] as string), zzz: 1 });
      expect(verifyLog(text([extra]))).toMatchObject({ ok: false, line: 1, code: 'ERR_AUDIT_RECORD_MALFORMED' });
      expect(verifyLog(text([lines[0] as string, '', lines[1] as string]))).toMatchObject({ ok: false, line: 2 });
    });

    it('any single byte flipped breaks verification at that record (property)', () => {
      const all = text(lines);
      const starts = lines.map((_, i) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0));
      fc.assert(
        fc.property(fc.integer({ min: 0, max: all.length - 1 }), fc.integer({ min: 1, max: 127 }), (at, x) => {
          const code = all.charCodeAt(at) ^ x;
          const flipped = `${all.slice(0, at)}${String.fromCharCode(code)}${all.slice(at + 1)}`;
          const report = verifyLog(flipped);
          if (report.ok) return false;
          const lineOf = starts.filter((s) => s <= at).length;
          // A flipped newline merges or splits lines; the problem still shows at that record's line or the next.
          return report.line === lineOf || (all[at] === '\n' && report.line === lineOf + 1);
        }),
        { numRuns: 60 },
      );
    });
  });

  describe('DSSE envelopes in call.requested records', () => {
    const logWith = async (data: Record<string, unknown>, agent = AGENT) => {
      const sink = createMemorySink();
      const log = createAuditLog({ sink });
      await log.append({ ...event(0, agent, 'call.requested'), data }, agent);
      return sink.text();
    };
    const claims = { callId: 'call-0' };
    const data = (envelope: unknown, extra: Record<string, unknown> = {}) => ({
      argsDigest: ARGS_DIGEST,
      policyHash: POLICY_HASH,
      envelope,
      ...extra,
    });
    const good = callEnvelope(AGENT, claims);
    const payloadOf = (envelope: { payload: string }) => JSON.parse(fromUtf8(fromBase64(envelope.payload)));
    /** The same envelope with its statement changed and re-signed by AGENT: a valid signature, a different claim. */
    interface Statement {
      predicateType: string;
      subject: { name: string }[];
      predicate: Record<string, unknown>;
    }
    const resigned = (change: (statement: Statement) => void) => {
      const statement = payloadOf(good) as Statement;
      change(statement);
      const body = utf8(canonicalize(statement));
      const type = good.payloadType;
      const message = concatBytes(utf8(`DSSEv1 ${utf8(type).length} ${type} ${body.length} `), body);
      return {
        ...good,
        payload: toBase64(body),
        signatures: [{ keyid: AGENT.keyId, sig: toBase64(sign(message, new Uint8Array(32).fill(7))) }],
      };
    };

    it('accepts a valid envelope by the agent, bound to the record', async () => {
      expect(verifyLog(await logWith(data(good)), { trust: [AGENT.id] })).toMatchObject({ ok: true });
    });

    it('binds the args as received: inputDigest, when present, is what the envelope states', async () => {
      const input = { inputDigest: ARGS_DIGEST, argsDigest: `sha256:${'00'.repeat(32)}` };
      expect(verifyLog(await logWith(data(good, input)))).toMatchObject({ ok: true });
      const wrong = { inputDigest: `sha256:${'00'.repeat(32)}` };
      expect(verifyLog(await logWith(data(good, wrong)))).toMatchObject({
        ok: false,
        code: 'ERR_AUDIT_ENVELOPE_INVALID',
      });
    });

    it.each([
      ['a payload that is not the signed one', data({ ...good, payload: toBase64(utf8('{}')) })],
      ['another payload type', data({ ...good, payloadType: 'text/plain' })],
      ['an envelope signed by another agent', data(callEnvelope(OTHER, claims))],
      ['no signatures', data({ ...good, signatures: [] })],
      ['two signatures', data({ ...good, signatures: [...good.signatures, ...good.signatures] })],
      ['an unknown envelope field', data({ ...good, extra: 1 })],
      ['bad base64', data({ ...good, payload: '@@@' })],
      ['not an object', data('envelope')],
      ['a keyid that is no did:key', data({ ...good, signatures: [{ keyid: 'k1', sig: 'AA==' }] })],
      [
        'a keyid whose fragment is another key',
        data({ ...good, signatures: [{ ...good.signatures[0], keyid: `${AGENT.id}#zOther` }] }),
      ],
      ['another call id', data(callEnvelope(AGENT, { callId: 'call-9' }))],
      ['another tool', data(callEnvelope(AGENT, { ...claims, tool: 'transfer' }))],
      ['other args', data(callEnvelope(AGENT, { ...claims, argsDigest: `sha256:${'11'.repeat(32)}` }))],
      ['no argsDigest in the record', { policyHash: POLICY_HASH, envelope: good }],
      [
        'a statement of another predicate type',
        data(
          resigned((st) => {
            st.predicateType = 'x';
          }),
        ),
      ],
      [
        'a statement whose subject is another call',
        data(
          resigned((st) => {
            st.subject = [{ ...st.subject[0], name: 'tool-call:x' }];
          }),
        ),
      ],
      [
        'a statement valid for two hours',
        data(
          resigned((st) => {
            st.predicate.expiresAt = '2026-01-01T02:00:00.000Z';
          }),
        ),
      ],
      [
        'a statement with an unknown field',
        data(
          resigned((st) => {
            st.predicate.extra = 1;
          }),
        ),
      ],
    ])('rejects %s with ERR_AUDIT_ENVELOPE_INVALID', async (_name, recordData) => {
      expect(verifyLog(await logWith(recordData))).toMatchObject({
        ok: false,
        line: 1,
        code: 'ERR_AUDIT_ENVELOPE_INVALID',
      });
    });

    it("rejects a record for another agent carrying this agent's envelope", async () => {
      expect(verifyLog(await logWith(data(good), OTHER))).toMatchObject({
        ok: false,
        code: 'ERR_AUDIT_ENVELOPE_INVALID',
      });
    });
  });

  it('encodes DSSE PAE as the protocol example does', () => {
    // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world").
    expect(fromUtf8(pae('http://example.com/HelloWorld', utf8('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    // LEN counts UTF-8 bytes, not UTF-16 units.
    expect(fromUtf8(pae('é', utf8('ü')))).toBe('DSSEv1 2 é 2 ü');
  });

  it('reports progress', async () => {
    const sink = await writeLog(3);
    const calls: [number, number][] = [];
    verifyLog(sink.text(), { onProgress: (n, total) => calls.push([n, total]) });
    expect(calls).toEqual([[3, 3]]);
  });

  it.each([
    ['a number', 42],
    ['undefined', undefined],
    ['an array of bytes', [1, 2, 3]],
  ])('throws TypeError for text that is %s', (_name, bad) => {
    expect(() => verifyLog(bad as never)).toThrow(TypeError);
  });

  it.each([
    ['a string', 'did:key:z6Mk'],
    ['a non-did', ['alice']],
    ['a number', [1]],
    ['an object without list()', { has: (): boolean => true }],
    ['a store listing a non-did', { list: () => ['alice'], has: (): boolean => true }],
  ])('throws TypeError for trust that is %s', (_name, bad) => {
    expect(() => verifyLog('', { trust: bad as never })).toThrow(TypeError);
  });

  it('takes a TrustStore as it takes the did:keys: anchored by it, refused when the signer is not in it', async () => {
    const sink = await writeLog(3);
    const trusted = createTrustStore([AGENT.id]);
    expect(verifyLog(sink.text(), { trust: trusted })).toEqual(verifyLog(sink.text(), { trust: [AGENT.id] }));
    expect(verifyLog(sink.text(), { trust: trusted })).toMatchObject({ ok: true, anchored: true });
    expect(verifyLog(sink.text(), { trust: createTrustStore([OTHER.id]) })).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_UNTRUSTED_SIGNER',
    });
    // An empty store trusts nobody (unlike no trust at all, which is "not anchored").
    expect(verifyLog(sink.text(), { trust: createTrustStore() })).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_UNTRUSTED_SIGNER',
    });
  });

  it('reports each signer once and keeps its order', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink });
    await log.append(event(0, AGENT), AGENT);
    await log.append(event(1, OTHER), OTHER);
    await log.append(event(2, AGENT), AGENT);
    expect(verifyLog(sink.text(), { trust: [AGENT.id, OTHER.id] })).toMatchObject({
      ok: true,
      signers: [AGENT.id, OTHER.id],
    });
  });
});
