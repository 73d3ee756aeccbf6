/**
 * Invariant: a DSSE call envelope inside an audit record verifies only if @agentguard/attestation would
 * accept it (time aside: logs are read after envelopes expire) and its statement is the record's own:
 * payload type, call id, tool, agent and args digest (`inputDigest ?? argsDigest`). The policy hash is not bound:
 * an envelope that came from another process names the caller's policy, the record the one that decided here.
 */
import { readLog, verifyLog } from '@agentguard/audit';
import { verifyLogFile } from '@agentguard/audit/file';
import { createTrustStore, signCall, verifyCallSync } from '@agentguard/attestation';
import { sign } from '@agentguard/identity';
import { canonicalize, concatBytes, fromBase64, fromUtf8, toBase64, toBase64Url, utf8 } from '@agentguard/statement';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT, Forger, LOG, OTHER, secretOf } from './audit-forge.js';
import { fuzzParams } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-envelopes-in-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW_MS = Date.parse('2026-01-01T00:00:00.000Z');
const POLICY = `sha256:${'ab'.repeat(32)}`;
const trust = [AGENT.id, LOG.id, OTHER.id];

type Envelope = { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
const signed = async (callId: string, tool: string, args: unknown, signer = AGENT) =>
  signCall({ signer, callId, tool, args, policyHash: POLICY, nowMs: NOW_MS, ttlMs: 60_000 });

const weather = await signed('call-1', 'get_weather', { city: 'Paris' });
const transferArgs = { to: 'mallory', amount: 1_000_000 };
const transfer = await signed('call-1', 'transfer', transferArgs);

/** A one-record log: a call.requested for `agent` with `data`, written by `writer` (the log key by default). */
const logOf = (
  fields: { callId?: string; tool?: string; agent?: string },
  data: Record<string, unknown>,
  writer = LOG,
) =>
  new Forger()
    .event({ type: 'call.requested', callId: 'call-1', tool: 'get_weather', agent: AGENT.id, ...fields, data }, writer)
    .text();
const dataOf = (call: { envelope: unknown; claims: { argsDigest: string } }, extra: Record<string, unknown> = {}) => ({
  argsDigest: call.claims.argsDigest,
  policyHash: POLICY,
  envelope: call.envelope,
  ...extra,
});

describe('envelope splice', () => {
  it("refuses a log-key record of a 'transfer' for agent A carrying A's get_weather envelope", () => {
    const spliced = logOf({ tool: 'transfer' }, dataOf(weather, { argsDigest: transfer.claims.argsDigest }));
    expect(verifyLog(spliced, { trust })).toMatchObject({ ok: false, line: 1, code: 'ERR_AUDIT_ENVELOPE_INVALID' });
    // Even with every digest lined up with the envelope, the tool is the record's, not the envelope's.
    expect(verifyLog(logOf({ tool: 'transfer' }, dataOf(weather)), { trust })).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_ENVELOPE_INVALID',
      reason: expect.stringContaining('tool'),
    });
    expect(verifyLog(logOf({}, dataOf(weather)), { trust })).toMatchObject({ ok: true });
  });

  it("accepts an envelope naming the caller's policy in a record of the policy that decided (an incoming call)", () => {
    const data = dataOf(weather, { policyHash: `sha256:${'cd'.repeat(32)}` });
    expect(verifyLog(logOf({}, data), { trust })).toMatchObject({ ok: true });
  });

  it.each([
    ['another call id', { callId: 'call-2' }, {}],
    ['another agent', { agent: OTHER.id }, {}],
    ['other args', {}, { argsDigest: transfer.claims.argsDigest }],
    ['no argsDigest', {}, { argsDigest: undefined }],
    ['an inputDigest of other args', {}, { inputDigest: transfer.claims.argsDigest }],
  ])('refuses the envelope in a record of %s', (_label, fields, extra) => {
    const data = JSON.parse(JSON.stringify(dataOf(weather, extra))) as Record<string, unknown>;
    expect(verifyLog(logOf(fields, data), { trust })).toMatchObject({ ok: false, code: 'ERR_AUDIT_ENVELOPE_INVALID' });
  });

  it('accepts an envelope bound by inputDigest when the args run differ from the args received', () => {
    const data = dataOf(weather, { inputDigest: weather.claims.argsDigest, argsDigest: transfer.claims.argsDigest });
    expect(verifyLog(logOf({}, data), { trust })).toMatchObject({ ok: true });
  });

  it('gives the same verdict in verifyLog, verifyLogFile (with workers) and readLog', async () => {
    const spliced = logOf({ tool: 'transfer' }, dataOf(weather));
    const path = join(dir, 'spliced.jsonl');
    writeFileSync(path, spliced);
    const expected = verifyLog(spliced, { trust });
    const { workers: _, ...file } = await verifyLogFile(path, { trust, workers: 2, batchSize: 1 });
    expect(file).toMatchObject(expected);
    expect(() => readLog(spliced)).toThrow(/ERR_AUDIT_ENVELOPE_INVALID|line 1/);
  });

  /** The statement of `call` changed by `change`, re-encoded and re-signed by `signer`: a valid signature over another claim. */
  const resign = (
    call: { envelope: unknown },
    change: (statement: Record<string, unknown>) => string,
    signer = AGENT,
  ): Envelope => {
    const envelope = call.envelope as Envelope;
    const statement = JSON.parse(fromUtf8(fromBase64(envelope.payload))) as Record<string, unknown>;
    const body = utf8(change(statement));
    const type = envelope.payloadType;
    const message = concatBytes(utf8(`DSSEv1 ${utf8(type).length} ${type} ${body.length} `), body);
    return {
      payloadType: type,
      payload: toBase64(body),
      signatures: [{ keyid: signer.keyId, sig: toBase64(sign(message, secretOf(signer))) }],
    };
  };
  const predicate = (s: Record<string, unknown>) => s.predicate as Record<string, unknown>;

  /** Ways to change an envelope; several keep a valid signature over a changed statement. */
  const mutations: Record<string, (e: Envelope) => unknown> = {
    none: (e) => e,
    payloadType: (e) => ({ ...e, payloadType: 'application/json' }),
    extraField: (e) => ({ ...e, extra: 1 }),
    noSignatures: (e) => ({ ...e, signatures: [] }),
    twoSignatures: (e) => ({ ...e, signatures: [...e.signatures, ...e.signatures] }),
    keyidBare: (e) => ({ ...e, signatures: [{ ...e.signatures[0], keyid: AGENT.id }] }),
    keyidWrongFragment: (e) => ({ ...e, signatures: [{ ...e.signatures[0], keyid: `${AGENT.id}#z6Mk` }] }),
    keyidOther: (e) => ({ ...e, signatures: [{ ...e.signatures[0], keyid: OTHER.keyId }] }),
    sigExtraField: (e) => ({ ...e, signatures: [{ ...e.signatures[0], extra: 1 }] }),
    urlSafePayload: (e) => ({ ...e, payload: toBase64Url(fromBase64(e.payload)) }),
    unpaddedPayload: (e) => ({ ...e, payload: e.payload.replace(/=+$/, '') }),
    otherPayload: (e) => ({ ...e, payload: toBase64(utf8('{}')) }),
    predicateType: () => resign(weather, (s) => canonicalize({ ...s, predicateType: 'x' })),
    statementExtra: () => resign(weather, (s) => canonicalize({ ...s, extra: 1 })),
    subjectName: () =>
      resign(weather, (s) => canonicalize({ ...s, subject: [{ ...(s.subject as object[])[0], name: 'tool-call:x' }] })),
    agentOther: () => resign(weather, (s) => canonicalize({ ...s, predicate: { ...predicate(s), agent: OTHER.id } })),
    signedByOther: () =>
      resign(weather, (s) => canonicalize({ ...s, predicate: { ...predicate(s), agent: OTHER.id } }), OTHER),
    policyOther: () =>
      resign(weather, (s) => canonicalize({ ...s, predicate: { ...predicate(s), policyHash: 'other' } })),
    policyBad: () =>
      resign(weather, (s) => canonicalize({ ...s, predicate: { ...predicate(s), policyHash: 'has space' } })),
    swappedTimes: () =>
      resign(weather, (s) => canonicalize({ ...s, predicate: { ...predicate(s), expiresAt: predicate(s).issuedAt } })),
    twoHours: () =>
      resign(weather, (s) =>
        canonicalize({ ...s, predicate: { ...predicate(s), expiresAt: '2026-01-01T02:00:00.000Z' } }),
      ),
    notADate: () =>
      resign(weather, (s) =>
        canonicalize({ ...s, predicate: { ...predicate(s), expiresAt: '2026-02-30T00:00:00.000Z' } }),
      ),
    badNonce: () => resign(weather, (s) => canonicalize({ ...s, predicate: { ...predicate(s), nonce: 'short' } })),
    whitespaceJson: () => resign(weather, (s) => JSON.stringify(s, null, 1)),
    duplicateKey: () => resign(weather, (s) => canonicalize(s).replace('{', '{"_type":"x",')),
    bomPayload: () => resign(weather, (s) => `\uFEFF${canonicalize(s)}`),
    tooDeep: () => resign(weather, (s) => canonicalize({ ...s, extra: JSON.parse('['.repeat(40) + ']'.repeat(40)) })),
  };

  it('accepts an envelope in a matching record exactly when attestation accepts it (property)', () => {
    const store = createTrustStore([AGENT.id]);
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(mutations)), (name) => {
        const envelope = (mutations[name] as (e: Envelope) => unknown)(weather.envelope as Envelope);
        const attested = verifyCallSync(envelope, {
          trust: store,
          argsDigest: weather.claims.argsDigest,
          expectedTool: 'get_weather',
          expectedCallId: 'call-1',
          nowMs: NOW_MS + 1,
          maxValidityMs: 3_600_000,
        });
        const expected = attested.ok;
        const report = verifyLog(logOf({}, { argsDigest: weather.claims.argsDigest, policyHash: POLICY, envelope }), {
          trust,
        });
        expect({ name, ok: report.ok }).toEqual({ name, ok: expected });
        if (!report.ok) expect(report.code).toBe('ERR_AUDIT_ENVELOPE_INVALID');
      }),
      fuzzParams(),
    );
  });

  it('binds every statement field to the record: verifies exactly when all of them match (property)', () => {
    const other = {
      callId: 'call-2',
      tool: 'transfer',
      agent: OTHER.id,
      argsDigest: transfer.claims.argsDigest,
      policyHash: `sha256:${'00'.repeat(32)}`,
    };
    fc.assert(
      fc.property(
        fc.record({
          callId: fc.boolean(),
          tool: fc.boolean(),
          agent: fc.boolean(),
          argsDigest: fc.boolean(),
          policyHash: fc.boolean(),
          inputDigest: fc.constantFrom('absent', 'same', 'other'),
          byAgent: fc.boolean(),
        }),
        (pick) => {
          const fields = {
            callId: pick.callId ? 'call-1' : other.callId,
            tool: pick.tool ? 'get_weather' : other.tool,
            agent: pick.agent ? AGENT.id : other.agent,
          };
          const inputDigest =
            pick.inputDigest === 'absent'
              ? {}
              : { inputDigest: pick.inputDigest === 'same' ? weather.claims.argsDigest : other.argsDigest };
          const data = {
            argsDigest: pick.argsDigest ? weather.claims.argsDigest : other.argsDigest,
            policyHash: pick.policyHash ? POLICY : other.policyHash,
            envelope: weather.envelope,
            ...inputDigest,
          };
          const writer = pick.byAgent ? (pick.agent ? AGENT : OTHER) : LOG;
          const boundDigest = pick.inputDigest === 'absent' ? pick.argsDigest : pick.inputDigest === 'same';
          // The policy hash is free: a record of an incoming call names the deciding policy, not the caller's.
          const expected = pick.callId && pick.tool && pick.agent && boundDigest;
          const report = verifyLog(logOf(fields, data, writer), { trust });
          expect(report.ok).toBe(expected);
          if (!report.ok) expect(report.code).toBe('ERR_AUDIT_ENVELOPE_INVALID');
        },
      ),
      fuzzParams(),
    );
  });
});
