import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalBytes,
  fromBase64,
  fromUtf8,
  IN_TOTO_PAYLOAD_TYPE,
  sha256Hex,
  signEnvelope,
  utf8,
} from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleReport,
  exportBundle,
  parseTlogProof,
  readBundleDirectory,
  verifyBundle,
  verifyBundleParallel,
  writeBundleDirectory,
} from '../src/index.js';
import { ALICE, BOB, EXPORTER, LOG_KEY, POLICY, POLICY_HASH, STRANGER, T0, writeLog } from './helpers.js';

let log: Uint8Array;
const trust = [EXPORTER.id];
const codes = (r: BundleReport) => r.findings.map((f) => f.code);

beforeAll(async () => {
  log = await writeLog(60, 10);
});

/** Edits files, then re-signs the manifest as a trusted exporter would: only the content checks can catch it. */
async function resign(
  files: ReadonlyMap<string, Uint8Array>,
  edit: (files: Map<string, Uint8Array>) => void,
): Promise<Map<string, Uint8Array>> {
  const out = new Map(files);
  edit(out);
  const envelope = JSON.parse(fromUtf8(out.get('manifest.json') as Uint8Array)) as { payload: string };
  const statement = JSON.parse(fromUtf8(fromBase64(envelope.payload))) as Record<string, unknown>;
  out.delete('manifest.json');
  statement.subject = [...out.keys()]
    .sort()
    .map((name) => ({ name, digest: { sha256: sha256Hex(out.get(name) as Uint8Array) } }));
  const signed = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes(statement), [
    { keyid: EXPORTER.keyId, sign: (m) => EXPORTER.sign(m) },
  ]);
  out.set('manifest.json', utf8(JSON.stringify(signed)));
  return out;
}

/** Whether two byte strings hold the same JSON value (false when either is not JSON). */
function sameJson(a: Uint8Array, b: Uint8Array): boolean {
  try {
    return JSON.stringify(JSON.parse(fromUtf8(a))) === JSON.stringify(JSON.parse(fromUtf8(b)));
  } catch {
    return false;
  }
}

const lines = (bytes: Uint8Array) => fromUtf8(bytes).split('\n').slice(0, -1);
const joinLines = (list: readonly string[]) => utf8(`${list.join('\n')}\n`);

describe('exportBundle and verifyBundle', () => {
  it('exports one agent in a range and verifies offline', async () => {
    const bundle = await exportBundle({
      log,
      signer: EXPORTER,
      agent: ALICE.id,
      fromMs: T0 + 5,
      toMs: T0 + 30,
      policies: [POLICY],
      clock: () => T0 + 1e6,
    });
    const records = lines(bundle.files.get('records.jsonl') as Uint8Array).map((l) => JSON.parse(l));
    expect(records.length).toBe(bundle.records);
    expect(records.every((r) => r.agent === ALICE.id)).toBe(true);
    expect(records.every((r) => Date.parse(r.ts) >= T0 + 5 && Date.parse(r.ts) <= T0 + 30)).toBe(true);
    expect(bundle.missingPolicies).toEqual([]);
    expect([...bundle.files.keys()].sort()).toEqual(
      [
        'checkpoint.txt',
        'consistency.json',
        'keys.json',
        'latest.txt',
        'manifest.json',
        `policies/${POLICY_HASH.slice(7)}.json`,
        'proofs.jsonl',
        'records.jsonl',
      ].sort(),
    );
    const report = verifyBundle(bundle.files, { trust });
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, records: bundle.records, exporter: EXPORTER.id });
    expect(report.manifest?.filters).toEqual({
      agent: ALICE.id,
      from: new Date(T0 + 5).toISOString(),
      to: new Date(T0 + 30).toISOString(),
    });
  });

  it('leaks nothing of the records outside the filter: proofs carry tree hashes only', async () => {
    const bundle = await exportBundle({ log, signer: EXPORTER, agent: ALICE.id, policies: [POLICY] });
    for (const [name, bytes] of bundle.files) {
      const text =
        name === 'manifest.json' ? fromUtf8(fromBase64(JSON.parse(fromUtf8(bytes)).payload)) : fromUtf8(bytes);
      expect(text, name).not.toContain('bob-data');
      expect(text, name).not.toContain(BOB.id);
    }
  });

  it('writes each inclusion proof as a c2sp.org/tlog-proof against checkpoint.txt', async () => {
    const bundle = await exportBundle({ log, signer: EXPORTER, fromMs: T0 + 12, toMs: T0 + 12 });
    const [entry] = lines(bundle.files.get('proofs.jsonl') as Uint8Array).map((l) => JSON.parse(l));
    expect(entry.proof.startsWith('c2sp.org/tlog-proof@v1\nindex ')).toBe(true);
    const proof = parseTlogProof(entry.proof);
    expect(proof?.index).toBe(entry.seq);
    expect(proof?.checkpoint).toBe(fromUtf8(bundle.files.get('checkpoint.txt') as Uint8Array));
    // The first checkpoint after the record covers it; the latest is the log's last.
    const consistency = JSON.parse(fromUtf8(bundle.files.get('consistency.json') as Uint8Array));
    expect(consistency.size1).toBeLessThan(consistency.size2);
  });

  it('refuses an empty range, and records no checkpoint covers yet', async () => {
    await expect(exportBundle({ log, signer: EXPORTER, fromMs: T0 + 1e9 })).rejects.toMatchObject({
      code: 'ERR_EVIDENCE_BUNDLE_EMPTY',
    });
    // Cut the closing checkpoint: the last records are covered by none.
    const cut = joinLines(lines(log).slice(0, -1));
    await expect(exportBundle({ log: cut, signer: EXPORTER })).rejects.toMatchObject({
      code: 'ERR_EVIDENCE_BUNDLE_NOT_COVERED',
    });
    const bad = joinLines([...lines(log).slice(0, 3), lines(log)[5] as string]);
    await expect(exportBundle({ log: bad, signer: EXPORTER })).rejects.toMatchObject({
      code: 'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
    });
    await expect(exportBundle({ log, signer: EXPORTER, trust: [STRANGER.id] })).rejects.toMatchObject({
      code: 'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
    });
  });

  it('says which policies are missing', async () => {
    const bundle = await exportBundle({ log, signer: EXPORTER, agent: BOB.id });
    expect(bundle.missingPolicies).toEqual([POLICY_HASH]);
    const report = verifyBundle(bundle.files, { trust });
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: 'ERR_EVIDENCE_BUNDLE_POLICY_MISSING',
        file: `policies/${POLICY_HASH.slice(7)}.json`,
        seq: 1,
      }),
    ]);
  });

  it('verifies a batched log: unsigned records are authenticated by their proofs', async () => {
    const batched = await writeLog(30, 10, { batched: true });
    const bundle = await exportBundle({ log: batched, signer: EXPORTER, policies: [POLICY] });
    expect(verifyBundle(bundle.files, { trust })).toMatchObject({ ok: true, records: 30 });
  });
});

describe('verifyBundle refuses', () => {
  let files: ReadonlyMap<string, Uint8Array>;
  beforeAll(async () => {
    files = (await exportBundle({ log, signer: EXPORTER, agent: ALICE.id, policies: [POLICY] })).files;
  });

  it('a manifest signed by a key not trusted', () => {
    const report = verifyBundle(files, { trust: [STRANGER.id] });
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ code: 'ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID', file: 'manifest.json' }),
    ]);
  });

  it('an added, a removed and a changed file, naming each', () => {
    const changed = new Map(files);
    changed.set('notes.txt', utf8('hello'));
    changed.delete('latest.txt');
    const records = changed.get('records.jsonl') as Uint8Array;
    changed.set('records.jsonl', utf8(fromUtf8(records).replace('alice-data-2', 'alice-data-X')));
    const report = verifyBundle(changed, { trust });
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'ERR_EVIDENCE_BUNDLE_FILE_ADDED', file: 'notes.txt' }),
        expect.objectContaining({ code: 'ERR_EVIDENCE_BUNDLE_FILE_MISSING', file: 'latest.txt' }),
        expect.objectContaining({ code: 'ERR_EVIDENCE_BUNDLE_FILE_CHANGED', file: 'records.jsonl' }),
      ]),
    );
    expect(report.ok).toBe(false);
  });

  it('a required file the exporter left out of the manifest and the bundle, each by name', async () => {
    for (const name of [
      'records.jsonl',
      'proofs.jsonl',
      'checkpoint.txt',
      'latest.txt',
      'consistency.json',
      'keys.json',
    ]) {
      const trimmed = await resign(files, (f) => f.delete(name));
      const report = verifyBundle(trimmed, { trust });
      expect(report.ok, name).toBe(false);
      expect(report.findings, name).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'ERR_EVIDENCE_BUNDLE_FILE_MISSING', file: name })]),
      );
    }
  });

  it('a changed record even when the exporter re-signed the manifest, naming its seq and line', async () => {
    const forged = await resign(files, (f) => {
      f.set(
        'records.jsonl',
        utf8(fromUtf8(f.get('records.jsonl') as Uint8Array).replace('alice-data-4', 'alice-data-X')),
      );
    });
    const report = verifyBundle(forged, { trust });
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: 'ERR_EVIDENCE_BUNDLE_RECORD_INVALID',
        file: 'records.jsonl',
        line: 3,
        auditCode: 'ERR_AUDIT_HASH_MISMATCH',
      }),
    ]);
  });

  it('a record of another agent, or from another log, slipped in with a proof', async () => {
    const other = await exportBundle({ log, signer: EXPORTER, agent: BOB.id, fromMs: T0 + 3, toMs: T0 + 3 });
    const forged = await resign(files, (f) => {
      f.set(
        'records.jsonl',
        joinLines([
          ...lines(f.get('records.jsonl') as Uint8Array),
          ...lines(other.files.get('records.jsonl') as Uint8Array),
        ]),
      );
      f.set(
        'proofs.jsonl',
        joinLines([
          ...lines(f.get('proofs.jsonl') as Uint8Array),
          ...lines(other.files.get('proofs.jsonl') as Uint8Array),
        ]),
      );
    });
    const report = verifyBundle(forged, { trust });
    expect(codes(report)).toContain('ERR_EVIDENCE_BUNDLE_RECORD_OUT_OF_SCOPE');
    expect(report.findings.find((f) => f.code === 'ERR_EVIDENCE_BUNDLE_RECORD_OUT_OF_SCOPE')).toMatchObject({ seq: 3 });
    // A record of a different log: its proof is against another checkpoint.
    const elsewhere = await exportBundle({
      log: await writeLog(60, 7),
      signer: EXPORTER,
      agent: ALICE.id,
      policies: [POLICY],
    });
    const spliced = await resign(files, (f) => {
      f.set('proofs.jsonl', elsewhere.files.get('proofs.jsonl') as Uint8Array);
    });
    const r2 = verifyBundle(spliced, { trust });
    expect(r2.ok).toBe(false);
    expect(new Set(codes(r2))).toEqual(new Set(['ERR_EVIDENCE_BUNDLE_PROOF_INVALID']));
    expect(r2.findings[0]).toMatchObject({ file: 'proofs.jsonl', line: 1, seq: 0 });
  });

  it('a wrong inclusion proof, a wrong consistency proof, a checkpoint not by a log key', async () => {
    const swapped = await resign(files, (f) => {
      const p = lines(f.get('proofs.jsonl') as Uint8Array).map((l) => JSON.parse(l));
      const first = p[0];
      const hashes = first.proof.split('\n');
      hashes[2] = hashes[3];
      first.proof = hashes.join('\n');
      f.set('proofs.jsonl', joinLines(p.map((e) => JSON.stringify(e))));
    });
    expect(verifyBundle(swapped, { trust }).findings).toEqual([
      expect.objectContaining({ code: 'ERR_EVIDENCE_BUNDLE_PROOF_INVALID', file: 'proofs.jsonl', seq: 0, line: 1 }),
    ]);
    const early = (await exportBundle({ log, signer: EXPORTER, agent: ALICE.id, toMs: T0 + 12, policies: [POLICY] }))
      .files;
    expect(verifyBundle(early, { trust }).ok).toBe(true);
    const inconsistent = await resign(early, (f) => {
      const c = JSON.parse(fromUtf8(f.get('consistency.json') as Uint8Array));
      expect(c.proof.length).toBeGreaterThan(1);
      c.proof = [...c.proof].reverse();
      f.set('consistency.json', utf8(JSON.stringify(c)));
    });
    expect(codes(verifyBundle(inconsistent, { trust }))).toEqual(['ERR_EVIDENCE_BUNDLE_PROOF_INVALID']);
    const keys = await resign(files, (f) => {
      f.set('keys.json', canonicalBytes({ trust: [ALICE.id, LOG_KEY.id], checkpointKeys: [ALICE.id] }));
    });
    const r = verifyBundle(keys, { trust });
    expect(codes(r)).toContain('ERR_EVIDENCE_BUNDLE_CHECKPOINT_INVALID');
    // A did:key that has the shape but names no Ed25519 key makes keys.json malformed: a finding, never a throw.
    const bogus = await resign(files, (f) => {
      f.set('keys.json', canonicalBytes({ trust: [ALICE.id], checkpointKeys: [`did:key:z${'1'.repeat(46)}`] }));
    });
    expect(codes(verifyBundle(bogus, { trust }))).toEqual(['ERR_EVIDENCE_BUNDLE_FILE_MALFORMED']);
    const untrusted = await resign(files, (f) => {
      f.set('keys.json', canonicalBytes({ trust: [LOG_KEY.id], checkpointKeys: [LOG_KEY.id] }));
    });
    expect(verifyBundle(untrusted, { trust }).findings[0]).toMatchObject({
      code: 'ERR_EVIDENCE_BUNDLE_RECORD_UNTRUSTED',
      file: 'records.jsonl',
      seq: 0,
    });
  });

  it('a policy file that is not the policy its name says', async () => {
    const name = `policies/${POLICY_HASH.slice(7)}.json`;
    const forged = await resign(files, (f) => {
      f.set(name, canonicalBytes({ ...POLICY, id: 'other' }));
    });
    expect(codes(verifyBundle(forged, { trust }))).toEqual([
      'ERR_EVIDENCE_BUNDLE_POLICY_INVALID',
      'ERR_EVIDENCE_BUNDLE_POLICY_MISSING',
    ]);
  });

  it('a malformed manifest without crashing', () => {
    for (const bytes of [
      utf8('{'),
      utf8('{"__proto__":{}}'),
      utf8('[]'),
      utf8(`${'['.repeat(10_000)}`),
      new Uint8Array([0xff]),
    ]) {
      const report = verifyBundle(new Map([...files, ['manifest.json', bytes]]), { trust });
      expect(report.ok).toBe(false);
      expect(report.findings[0]?.file).toBe('manifest.json');
    }
    expect(verifyBundle(new Map(), { trust }).findings[0]?.code).toBe('ERR_EVIDENCE_BUNDLE_MANIFEST_INVALID');
  });

  it('any changed byte of any file (property)', () => {
    const names = [...files.keys()];
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, xor) => {
        const name = names[f % names.length] as string;
        const bytes = new Uint8Array(files.get(name) as Uint8Array);
        bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ xor;
        // The manifest is a signed envelope in JSON: whitespace between its tokens (a newline turned into a tab)
        // changes no value, so only a change of its JSON value must fail. Every other file is hashed byte for byte.
        if (name === 'manifest.json' && sameJson(files.get(name) as Uint8Array, bytes)) return true;
        return !verifyBundle(new Map([...files, [name, bytes]]), { trust }).ok;
      }),
      { numRuns: 200 },
    );
    // The case that once looked like a miss: the manifest's first newline turned into a tab is the same manifest.
    const manifest = files.get('manifest.json') as Uint8Array;
    const tabbed = new Uint8Array(manifest);
    const nl = tabbed.indexOf(0x0a);
    if (nl >= 0 && nl < tabbed.length - 1) {
      tabbed[nl] = 0x09;
      expect(verifyBundle(new Map([...files, ['manifest.json', tabbed]]), { trust }).ok).toBe(true);
    }
  });
});

describe('bundle directories', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentguard-bundle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trip, and report files added on disk, links included', async () => {
    const bundle = await exportBundle({ log, signer: EXPORTER, policies: [POLICY] });
    const out = join(dir, 'b1');
    await writeBundleDirectory(out, bundle);
    expect(verifyBundle(await readBundleDirectory(out), { trust }).ok).toBe(true);
    await expect(writeBundleDirectory(out, bundle)).rejects.toMatchObject({
      code: 'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
    });
    writeFileSync(join(out, 'policies', 'extra.json'), '{}');
    symlinkSync('/etc/passwd', join(out, 'link'));
    const report = verifyBundle(await readBundleDirectory(out), { trust });
    expect(report.findings.map((f) => [f.code, f.file])).toEqual(
      [
        ['ERR_EVIDENCE_BUNDLE_FILE_ADDED', 'link'],
        ['ERR_EVIDENCE_BUNDLE_FILE_ADDED', 'policies/extra.json'],
      ].sort((a, b) => (a[1] as string).localeCompare(b[1] as string)),
    );
  });
});

describe('verifyBundle on hostile bundle files', () => {
  it('reports non-canonical base64 and odd JSON in signed files as findings, never a throw', async () => {
    const files = (await exportBundle({ log, signer: EXPORTER, agent: ALICE.id, toMs: T0 + 12, policies: [POLICY] }))
      .files;
    const variants: Array<(f: Map<string, Uint8Array>) => void> = [
      (f) => {
        const c = JSON.parse(fromUtf8(f.get('consistency.json') as Uint8Array));
        c.proof = c.proof.map((h: string) => `${h.slice(0, 42)}B=`);
        f.set('consistency.json', utf8(JSON.stringify(c)));
      },
      (f) => f.set('keys.json', utf8('{"trust":[],"checkpointKeys":[],"__proto__":{}}')),
      (f) => f.set('proofs.jsonl', utf8('{"seq":0,"proof":"c2sp.org/tlog-proof@v1\\nindex 0\\nAB==\\n\\nx"}\n')),
      (f) => f.set('records.jsonl', utf8('{}\n[]\n"x"\n')),
      (f) => f.set('records.jsonl', new Uint8Array([0xff, 0x0a])),
      (f) => f.set('checkpoint.txt', utf8('\u2014 x\n')),
      (f) => f.set('credentials/00.json', utf8('{}')),
    ];
    for (const edit of variants) {
      const report = verifyBundle(await resign(files, edit), { trust });
      expect(report.ok).toBe(false);
      expect(report.findings.length).toBeGreaterThan(0);
    }
    // The manifest's own tree heads, with a root that is not canonical base64.
    const envelope = JSON.parse(fromUtf8(files.get('manifest.json') as Uint8Array));
    const statement = JSON.parse(fromUtf8(fromBase64(envelope.payload)));
    statement.predicate.checkpoint.root = `${statement.predicate.checkpoint.root.slice(0, 42)}B=`;
    const signed = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes(statement), [
      { keyid: EXPORTER.keyId, sign: (m) => EXPORTER.sign(m) },
    ]);
    const report = verifyBundle(new Map([...files, ['manifest.json', utf8(JSON.stringify(signed))]]), { trust });
    expect(codes(report)).toContain('ERR_EVIDENCE_BUNDLE_CHECKPOINT_INVALID');
  });
});

/** proofs.jsonl with the proof on line `index + 1` spoilt: its first two hashes swapped. */
function spoilProof(files: ReadonlyMap<string, Uint8Array>, index: number): Uint8Array {
  const all = lines(files.get('proofs.jsonl') as Uint8Array);
  const entry = JSON.parse(all[index] as string) as { proof: string; seq: number };
  const parts = entry.proof.split('\n');
  [parts[2], parts[3]] = [parts[3] as string, parts[2] as string];
  all[index] = JSON.stringify({ proof: parts.join('\n'), seq: entry.seq });
  return joinLines(all);
}

describe('verifyBundleParallel', () => {
  it('gives the same report as verifyBundle, for a good bundle and forged ones, with worker threads', async () => {
    const big = await writeLog(600, 50);
    const files = (await exportBundle({ log: big, signer: EXPORTER, policies: [POLICY] })).files;
    const records = fromUtf8(files.get('records.jsonl') as Uint8Array);
    const line = records.split('\n')[100] as string;
    const sig = (JSON.parse(line) as { sig: string }).sig;
    const forgedLine = line.replace(sig, `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`);
    const variants = [
      files,
      await resign(files, (f) => f.set('records.jsonl', utf8(records.replace(line, forgedLine)))),
      await resign(files, (f) => f.delete('proofs.jsonl')),
      new Map([...files, ['records.jsonl', utf8(records.replace(line, forgedLine))]]),
      // A proof spoilt (one hash of it swapped for its neighbour's), alone and with a forged signature elsewhere.
      await resign(files, (f) => f.set('proofs.jsonl', spoilProof(f, 300))),
      await resign(files, (f) => {
        f.set('proofs.jsonl', spoilProof(f, 300));
        f.set('records.jsonl', utf8(records.replace(line, forgedLine)));
      }),
    ];
    for (const [i, v] of variants.entries()) {
      const expected = verifyBundle(v, { trust });
      expect(await verifyBundleParallel(v, { trust, workers: 2 }), `variant ${i}`).toEqual(expected);
      expect(await verifyBundleParallel(v, { trust, workers: 0 }), `variant ${i}`).toEqual(expected);
    }
    expect(verifyBundle(files, { trust })).toMatchObject({ ok: true, records: 600 });
    const forged = await verifyBundleParallel(variants[1] as Map<string, Uint8Array>, { trust, workers: 2 });
    expect(forged.findings).toEqual([
      expect.objectContaining({
        code: 'ERR_EVIDENCE_BUNDLE_RECORD_INVALID',
        line: 101,
        auditCode: 'ERR_AUDIT_SIGNATURE_INVALID',
      }),
    ]);
    const spoilt = await verifyBundleParallel(variants[5] as Map<string, Uint8Array>, { trust, workers: 2 });
    expect(spoilt.findings.map((f) => [f.code, f.line])).toEqual([
      ['ERR_EVIDENCE_BUNDLE_RECORD_INVALID', 101],
      ['ERR_EVIDENCE_BUNDLE_PROOF_INVALID', 301],
    ]);
    await expect(verifyBundleParallel(files, { trust: 'x' as never })).rejects.toThrow(TypeError);
    await expect(verifyBundleParallel(files, { trust, workers: -1 })).rejects.toThrow(RangeError);
  });
});
