import { canonicalBytes, toBase64, toHex, utf8 } from '@agentguard/statement';
import { describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../log/log.js';
import { leafHash } from '../tree/merkle.js';
import { openNote, parseCheckpoint, signatureBlob } from './note.js';
import { verifyConsistency, verifyInclusion } from '../tree/proof.js';
import { bodyOf, hashBody, RECORD_MAX_DEPTH, recordLine, recordSigningBytes } from '../record/record.js';
import { createMemorySink } from '../log/sink.js';
import { AGENT, event, LOG_KEY, OTHER, writeCheckpointedLog } from '../../test/helpers.js';
import { verifyLog } from '../verify/verify.js';

const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;
const types = (lines: readonly string[]) => lines.map((l) => JSON.parse(l).type as string);
const trust = [AGENT.id, LOG_KEY.id];

describe('checkpoints in the log', () => {
  it('writes one every N records and one at close, each verified against the tree', async () => {
    const sink = await writeCheckpointedLog(10, 4);
    const kinds = types(sink.lines);
    expect(kinds.map((t, i) => (t === 'checkpoint' ? i : -1)).filter((i) => i >= 0)).toEqual([4, 9, 12]);
    const report = verifyLog(sink.text(), { trust });
    expect(report).toMatchObject({ ok: true, records: 13, checkpoints: 3, sealed: true, anchored: true });
    if (!report.ok) return;
    const latest = report.latestCheckpoint as string;
    const body = openNote(latest, 'example.com/audit', LOG_KEY.publicKey);
    expect(body).toBeDefined();
    expect(parseCheckpoint(body as string)).toMatchObject({ origin: 'example.com/audit', size: 12 });
    expect(toHex(parseCheckpoint(body as string)?.root as Uint8Array)).not.toBe(report.root);
  });

  it('writes one every T ms while records arrive', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink, checkpoint: { signer: LOG_KEY, everyRecords: 0, everyMs: 5 } });
    await log.append(event(0), AGENT);
    await vi.waitFor(() => expect(types(sink.lines)).toContain('checkpoint'), { timeout: 5000 });
    await log.close();
    expect(verifyLog(sink.text(), { trust })).toMatchObject({ ok: true, sealed: true });
  });

  it('retrieves the latest checkpoint and proves inclusion and consistency against signed roots', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink, checkpoint: { signer: LOG_KEY, origin: 'o', everyRecords: 0, everyMs: 0 } });
    for (let i = 0; i < 5; i++) await log.append(event(i), AGENT);
    const first = await log.checkpoint();
    for (let i = 5; i < 11; i++) await log.append(event(i), AGENT);
    const second = await log.checkpoint();
    expect(log.latestCheckpoint).toBe(second);
    const cp1 = parseCheckpoint(openNote(first, 'o', LOG_KEY.publicKey) as string);
    const cp2 = parseCheckpoint(openNote(second, 'o', LOG_KEY.publicKey) as string);
    if (cp1 === undefined || cp2 === undefined) throw new Error('checkpoints do not open');
    expect([cp1.size, cp2.size]).toEqual([5, 12]);
    // Record 3, as written, is in the second checkpoint's tree.
    const record = JSON.parse(sink.lines[3] as string);
    const leaf = leafHash(canonicalBytes(bodyOf(record), { maxDepth: RECORD_MAX_DEPTH }));
    expect(verifyInclusion(3, cp2.size, leaf, log.inclusionProof(3, cp2.size), cp2.root)).toBe(true);
    expect(verifyConsistency(cp1.size, cp2.size, log.consistencyProof(cp1.size, cp2.size), cp1.root, cp2.root)).toBe(
      true,
    );
    await log.close();
  });

  it('throws TypeError for checkpoint() without a checkpoint signer, and on bad checkpoint options', async () => {
    await expect(createAuditLog({ sink: createMemorySink() }).checkpoint()).rejects.toThrow(TypeError);
    expect(() => createAuditLog({ sink: createMemorySink(), checkpoint: { signer: LOG_KEY, origin: 'a b' } })).toThrow(
      TypeError,
    );
    expect(() =>
      createAuditLog({ sink: createMemorySink(), checkpoint: { signer: LOG_KEY, everyRecords: -1 } }),
    ).toThrow(RangeError);
  });
});

/** Re-signs a changed checkpoint record with the log key, as an attacker holding that key could. */
async function forgeCheckpoint(line: string, change: (note: string) => string): Promise<string> {
  const record = JSON.parse(line);
  record.note = change(record.note);
  const body = bodyOf(record);
  const hash = hashBody(body);
  const sig = toBase64(await LOG_KEY.sign(recordSigningBytes(hash)));
  const noteSig = signatureBlob('example.com/audit', LOG_KEY.publicKey, await LOG_KEY.sign(utf8(record.note)));
  return recordLine({ ...body, hash, sig, noteSig });
}

describe('tampering with checkpoints', async () => {
  const sink = await writeCheckpointedLog(10, 4);
  const lines = [...sink.lines];

  it('a checkpoint with a forged root, validly signed by the log key, is caught at its line', async () => {
    const forged = [...lines];
    forged[4] = await forgeCheckpoint(lines[4] as string, (note) => {
      const [o, s, , ...rest] = note.split('\n');
      return [o, s, toBase64(new Uint8Array(32).fill(1)), ...rest].join('\n');
    });
    // The chain after it no longer links either; the first problem is the checkpoint itself.
    expect(verifyLog(text(forged), { trust })).toMatchObject({
      ok: false,
      line: 5,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
  });

  it('a checkpoint note signature replaced is caught', () => {
    const forged = [...lines];
    const record = JSON.parse(lines[9] as string);
    record.noteSig = JSON.parse(lines[4] as string).noteSig;
    forged[9] = recordLine(record);
    expect(verifyLog(text(forged), { trust })).toMatchObject({
      ok: false,
      line: 10,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
  });

  it('a checkpoint by a key that is not trusted is caught', () => {
    expect(verifyLog(sink.text(), { trust: [AGENT.id] })).toMatchObject({
      ok: false,
      line: 5,
      code: 'ERR_AUDIT_UNTRUSTED_SIGNER',
    });
  });

  it('proves the log extends an external checkpoint of itself', () => {
    const external = (verifyLog(text(lines.slice(0, 10)), { trust }) as { latestCheckpoint: string }).latestCheckpoint;
    expect(verifyLog(sink.text(), { trust, checkpoint: external })).toMatchObject({ ok: true, extends: 9 });
  });

  it('a truncation after a checkpoint, with the later checkpoints removed, is caught by the external one', () => {
    const external = (verifyLog(sink.text(), { trust }) as { latestCheckpoint: string }).latestCheckpoint;
    const truncated = text(lines.slice(0, 7));
    // On its own the truncated log is a valid prefix (not sealed)...
    expect(verifyLog(truncated, { trust })).toMatchObject({ ok: true, sealed: false });
    // ...but not against the witness.
    expect(verifyLog(truncated, { trust, checkpoint: external })).toMatchObject({
      ok: false,
      line: 8,
      code: 'ERR_AUDIT_TRUNCATED',
      reason: expect.stringContaining('truncated'),
    });
  });

  it('a rewritten history, re-signed with every key, is caught by the external checkpoint', async () => {
    const external = (verifyLog(text(lines.slice(0, 5)), { trust }) as { latestCheckpoint: string }).latestCheckpoint;
    const rewritten = await writeCheckpointedLog(3, 100, (i) => ({
      ...event(i),
      tool: i === 1 ? 'delete_everything' : 'search',
    }));
    expect(verifyLog(rewritten.text(), { trust })).toMatchObject({ ok: true });
    expect(verifyLog(rewritten.text(), { trust, checkpoint: external })).toMatchObject({
      ok: false,
      line: 4,
      code: 'ERR_AUDIT_FORKED',
      reason: expect.stringContaining('rewritten'),
    });
    const longer = await writeCheckpointedLog(10, 100, (i) => ({
      ...event(i),
      tool: i === 1 ? 'delete_everything' : 'search',
    }));
    // Here the rewritten log's own checkpoint (size 11) also covers the first 4 records: the log key
    // signed two different histories, which is a fork.
    expect(verifyLog(longer.text(), { trust, checkpoint: external })).toMatchObject({
      ok: false,
      line: 4,
      code: 'ERR_AUDIT_FORKED',
      reason: expect.stringContaining('forked'),
    });
  });

  it('a fork (same key, two histories, each with its own checkpoint) is caught and named', async () => {
    const external = (verifyLog(sink.text(), { trust }) as { latestCheckpoint: string }).latestCheckpoint;
    const fork = await writeCheckpointedLog(12, 4, (i) => ({ ...event(i), tool: i === 6 ? 'other' : 'search' }));
    expect(verifyLog(fork.text(), { trust })).toMatchObject({ ok: true });
    expect(verifyLog(fork.text(), { trust, checkpoint: external })).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_FORKED',
      reason: expect.stringContaining('forked'),
    });
  });

  it.each([
    ['garbage', 'not a note'],
    [
      'a note by another key',
      `example.com/audit\n3\n${toBase64(new Uint8Array(32))}\n\n\u2014 example.com/audit ${toBase64(new Uint8Array(68))}\n`,
    ],
  ])('an external checkpoint that is %s is refused (line 0)', async (_name, note) => {
    expect(verifyLog(sink.text(), { trust, checkpoint: note })).toMatchObject({
      ok: false,
      line: 0,
      code: 'ERR_AUDIT_CHECKPOINT_INVALID',
    });
  });

  it('an external checkpoint signed by an untrusted key is refused', async () => {
    const other = await (async () => {
      const s = createMemorySink();
      const log = createAuditLog({ sink: s, checkpoint: { signer: OTHER, origin: 'example.com/audit', everyMs: 0 } });
      await log.append(event(0), AGENT);
      await log.close();
      return (verifyLog(s.text()) as { latestCheckpoint: string }).latestCheckpoint;
    })();
    expect(verifyLog(sink.text(), { trust, checkpoint: other })).toMatchObject({ ok: false, line: 0 });
  });
});

describe('batched (throughput) mode', () => {
  async function batchedLog(count: number) {
    const sink = createMemorySink();
    const log = createAuditLog({ sink, checkpoint: { signer: LOG_KEY, origin: 'o', everyRecords: 5, everyMs: 0 } });
    await Promise.all(Array.from({ length: count }, (_, i) => log.appendBatched(event(i))));
    await log.close();
    return sink.lines;
  }

  it('writes unsigned records that the checkpoints cover, and the log verifies', async () => {
    const lines = await batchedLog(12);
    const records = lines.map((l) => JSON.parse(l));
    expect(
      records.filter((r) => r.type !== 'checkpoint').every((r) => r.sig === undefined && r.signer === LOG_KEY.id),
    ).toBe(true);
    expect(verifyLog(text(lines), { trust: [LOG_KEY.id] })).toMatchObject({ ok: true, sealed: true });
    // Each record is authenticated through an inclusion proof to a signed checkpoint.
    expect(verifyLog(text(lines), { trust: [AGENT.id] })).toMatchObject({
      ok: false,
      code: 'ERR_AUDIT_UNTRUSTED_SIGNER',
    });
  });

  it('fails on batched records that no checkpoint covers yet (a cut tail)', async () => {
    const lines = await batchedLog(12);
    const cut = lines.slice(0, 8);
    expect(verifyLog(text(cut), { trust: [LOG_KEY.id] })).toMatchObject({
      ok: false,
      line: 7,
      code: 'ERR_AUDIT_SIGNATURE_INVALID',
      reason: expect.stringContaining('batched'),
    });
  });

  it('catches a batched record rewritten with its hash and the chain recomputed', async () => {
    const lines = await batchedLog(12);
    const forged = [...lines];
    let prev = JSON.parse(lines[0] as string).hash as string;
    for (let i = 1; i < 5; i++) {
      const record = JSON.parse(lines[i] as string);
      if (i === 2) record.tool = 'wire_money';
      record.prev = prev;
      const hash = hashBody(bodyOf(record));
      record.hash = hash;
      prev = hash;
      forged[i] = recordLine(record);
    }
    // The records verify up to the checkpoint, whose signed prev and root no longer match.
    expect(verifyLog(text(forged), { trust: [LOG_KEY.id] })).toMatchObject({
      ok: false,
      line: 6,
      code: 'ERR_AUDIT_CHAIN_BROKEN',
    });
  });

  it('needs a checkpoint signer', async () => {
    await expect(createAuditLog({ sink: createMemorySink() }).appendBatched(event(0))).rejects.toThrow(TypeError);
  });
});
