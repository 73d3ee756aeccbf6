import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { decodeLog, proveInclusion, verifyForView } from './session.js';

async function smallLog(checkpoint: boolean): Promise<{ text: string; trust: string[] }> {
  const agent = createIdentity({ name: 'a' });
  const sink = createMemorySink();
  const log = createAuditLog({ sink, ...(checkpoint ? { checkpoint: { signer: agent, everyRecords: 3 } } : {}) });
  for (let i = 0; i < 5; i++) {
    await log.append(
      {
        type: 'call.completed',
        callId: `c${i}`,
        agent: agent.id,
        tool: 't',
        data: { durationMs: i, note: i === 2 ? '\uFFFD' : '' },
      },
      agent,
    );
  }
  await log.close();
  return { text: sink.text(), trust: [agent.id] };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('verifyForView', () => {
  it("returns verifyLog's own report, with or without trust and witness", async () => {
    const { text, trust } = await smallLog(true);
    expect(verifyForView({ bytes: enc(text), trust }).report).toEqual(verifyLog(text, { trust }));
    expect(verifyForView({ bytes: enc(text), trust: [] }).report).toEqual(verifyLog(text));
    // A TrustStore-shaped value (as createTrustStore of @agentguard/attestation returns) is read through list().
    const store = { list: () => [...trust], has: (d: string) => trust.includes(d) } as never;
    expect(verifyForView({ bytes: enc(text), trust: store }).report).toEqual(verifyLog(text, { trust }));
    expect(verifyForView({ bytes: enc(text), trust: store }).report).toMatchObject({ ok: true, anchored: true });
    const nobody = { list: () => [], has: () => false } as never;
    expect(verifyForView({ bytes: enc(text), trust: nobody }).report).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_UNTRUSTED_SIGNER',
    });
    expect(verifyForView({ bytes: enc(text), checkpoint: '  ' }).report).toEqual(verifyLog(text));
    const calls: number[] = [];
    verifyForView({ bytes: enc(text) }, (checked) => calls.push(checked));
    expect(calls.at(-1)).toBe(text.split('\n').length - 1);
  });

  it('gives the verifier the bytes: invalid UTF-8 fails at its line, as verifyLog on bytes (and agentguard verify)', async () => {
    const { text, trust } = await smallLog(true);
    const good = enc(text);
    expect(verifyForView({ bytes: good, trust }).report).toMatchObject({ ok: true });
    // EF BF BD replaced by FF: a replacing decoder reads the very same text.
    const at = good.indexOf(0xef);
    const bad = new Uint8Array([...good.subarray(0, at), 0xff, ...good.subarray(at + 3)]);
    expect(decodeLog(bad)).toBe(decodeLog(good));
    const line = decodeLog(good).slice(0, decodeLog(good).indexOf('\uFFFD')).split('\n').length;
    const { report } = verifyForView({ bytes: bad, trust });
    expect(report).toEqual(verifyLog(bad, { trust }));
    expect(report).toMatchObject({ ok: false, line, code: 'ERR_AUDIT_RECORD_MALFORMED' });
    expect(report.ok === false && report.reason).toContain('UTF-8');
  });

  it('throws TypeError on trust that is not did:key, as verifyLog does', async () => {
    const { text } = await smallLog(false);
    expect(() => verifyForView({ bytes: enc(text), trust: ['nope'] })).toThrow(TypeError);
  });
});

describe('decodeLog', () => {
  it('for display: keeps a byte-order mark and shows invalid UTF-8 as U+FFFD', async () => {
    const { text } = await smallLog(false);
    const bom = decodeLog(new Uint8Array([0xef, 0xbb, 0xbf, ...enc(text)]));
    expect(bom.startsWith('\uFEFF')).toBe(true);
    expect(verifyLog(bom)).toMatchObject({ ok: false, line: 1 });
    expect(decodeLog(new Uint8Array([0x61, 0xff, 0x62]))).toBe('a\uFFFDb');
  });
});

describe('proveInclusion', () => {
  it('proves a record in the tree its latest covering checkpoint signs', async () => {
    const { text } = await smallLog(true);
    const result = proveInclusion(text, 2);
    expect(result).toMatchObject({ line: 2, ok: true });
    expect(result.size).toBeGreaterThanOrEqual(2);
    expect(result.root).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says so when no checkpoint covers the record', async () => {
    const { text } = await smallLog(false);
    expect(proveInclusion(text, 1)).toMatchObject({
      ok: false,
      size: 0,
      reason: 'no checkpoint covers this record yet',
    });
    expect(proveInclusion(text, 99)).toMatchObject({ ok: false });
  });
});
