/**
 * Invariant: an evidence bundle verifies only when a trusted exporter signed its manifest and every file, proof,
 * checkpoint and key it holds is exactly what the manifest lists and the bundle format allows; any hostile manifest,
 * proof line, checkpoint or key file (malformed, `__proto__`, huge, deep, re-signed by the exporter after the edit)
 * gives `ok: false` with findings whose codes are `ERR_EVIDENCE_BUNDLE_*`, returned, never thrown, never hung on.
 */
import { BUNDLE_ERROR_CODES, type BundleReport, exportBundle, verifyBundle } from '@agentguard/evidence';
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
import { describe, expect, it } from 'vitest';
import { ALICE, EXPORTER, POLICY, STRANGER, writeLog } from '../../evidence/test/helpers.js';
import { fuzzParams } from './fuzz.js';

const trust = [EXPORTER.id];
const codes = new Set<string>(BUNDLE_ERROR_CODES);
const log = await writeLog(12, 4);
const bundle = await exportBundle({
  log,
  signer: EXPORTER,
  policies: [POLICY],
  clock: () => Date.parse('2026-02-01T00:00:00.000Z'),
});
const files: ReadonlyMap<string, Uint8Array> = bundle.files;

function report(input: ReadonlyMap<string, Uint8Array>): BundleReport {
  let out: BundleReport | undefined;
  expect(() => {
    out = verifyBundle(input, { trust });
  }).not.toThrow();
  return out as BundleReport;
}
function refused(r: BundleReport): void {
  expect(r.ok).toBe(false);
  expect(r.findings.length).toBeGreaterThan(0);
  for (const f of r.findings) {
    expect(codes.has(f.code)).toBe(true);
    expect(typeof f.reason).toBe('string');
  }
}

/** Edits files, then re-signs the manifest over them as the trusted exporter: only the content checks can refuse. */
async function resign(
  edit: (files: Map<string, Uint8Array>) => void,
  statementEdit?: (s: Record<string, unknown>) => void,
) {
  const out = new Map(files);
  edit(out);
  const envelope = JSON.parse(fromUtf8(out.get('manifest.json') as Uint8Array)) as { payload: string };
  const statement = JSON.parse(fromUtf8(fromBase64(envelope.payload))) as Record<string, unknown>;
  out.delete('manifest.json');
  statement.subject = [...out.keys()]
    .sort()
    .map((name) => ({ name, digest: { sha256: sha256Hex(out.get(name) as Uint8Array) } }));
  statementEdit?.(statement);
  const signed = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes(statement), [
    { keyid: EXPORTER.keyId, sign: (m) => EXPORTER.sign(m) },
  ]);
  out.set('manifest.json', utf8(JSON.stringify(signed)));
  return out;
}
const withFile = (name: string, bytes: Uint8Array | string) =>
  new Map([...files, [name, typeof bytes === 'string' ? utf8(bytes) : bytes]]);
const text = (name: string) => fromUtf8(files.get(name) as Uint8Array);

describe('evidence bundles: hostile manifests', () => {
  it('the untouched bundle verifies', () => {
    expect(report(files)).toMatchObject({ ok: true, findings: [] });
  });

  it.each<[string, string | Uint8Array]>([
    ['empty', ''],
    ['not JSON', '{"payload":'],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['a JSON array', '[]'],
    ['deeply nested', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
    ['larger than the bound', `{"payload":"${'A'.repeat(1_100_000)}"}`],
    ['__proto__ member', text('manifest.json').replace('{', '{"__proto__":{"ok":true},')],
    ['constructor member', text('manifest.json').replace('{', '{"constructor":{},')],
    ['duplicate member', text('manifest.json').replace('{', '{"payloadType":"x",')],
    ['another payload type', text('manifest.json').replace(IN_TOTO_PAYLOAD_TYPE, 'application/json')],
  ])('a manifest that is %s is refused with a code', (_label, manifest) => {
    refused(report(withFile('manifest.json', manifest)));
  });

  it('a missing manifest, and one signed by a key not trusted, are refused', async () => {
    const without = new Map(files);
    without.delete('manifest.json');
    refused(report(without));
    const envelope = JSON.parse(text('manifest.json')) as { payload: string };
    const foreign = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, fromBase64(envelope.payload), [
      { keyid: STRANGER.keyId, sign: (m) => STRANGER.sign(m) },
    ]);
    refused(report(withFile('manifest.json', JSON.stringify(foreign))));
  });

  it('subjects naming paths outside the bundle, twice, or in odd spellings are refused even when signed', async () => {
    const names = [
      '../records.jsonl',
      '/etc/passwd',
      'records.jsonl\u0000',
      'policies/../keys.json',
      'RECORDS.JSONL',
      'records.jsonl ',
    ];
    for (const name of names) {
      const edited = await resign(
        () => undefined,
        (s) => {
          (s.subject as Array<{ name: string; digest: unknown }>).push({ name, digest: { sha256: '0'.repeat(64) } });
        },
      );
      refused(report(edited));
    }
    const twice = await resign(
      () => undefined,
      (s) => {
        const list = s.subject as unknown[];
        list.push(list[0]);
      },
    );
    refused(report(twice));
  });

  it('predicate fields of the wrong type, __proto__ in the predicate, or an extra member are refused even when signed', async () => {
    const edits: Array<(p: Record<string, unknown>) => void> = [
      (p) => {
        p.records = '12';
      },
      (p) => {
        p.records = -1;
      },
      (p) => {
        p.checkpoint = { size: 2 ** 60, root: 'x' };
      },
      (p) => {
        p.extra = true;
      },
      (p) => {
        p.exporter = STRANGER.id;
      },
      (p) => {
        p.policies = Array.from({ length: 1_001 }, () => `sha256:${'0'.repeat(64)}`);
      },
    ];
    for (const edit of edits) {
      refused(
        report(
          await resign(
            () => undefined,
            (s) => edit(s.predicate as Record<string, unknown>),
          ),
        ),
      );
    }
  });
});

describe('evidence bundles: hostile proofs, checkpoints and keys', () => {
  const proofs = text('proofs.jsonl').split('\n').slice(0, -1);

  it.each<[string, (line: string) => string]>([
    ['an empty object', () => '{}'],
    ['not JSON', () => '{"seq":'],
    ['a __proto__ member', (l) => l.replace('{', '{"__proto__":{"seq":0},')],
    ['a huge proof', (l) => l.replace(/"proof":"/, `"proof":"${'A'.repeat(100_000)}`)],
    ['a deep value', () => `${'['.repeat(5_000)}${']'.repeat(5_000)}`],
  ])('a proof line that is %s is refused with a code, even re-signed', async (_label, mutate) => {
    const line = proofs[0] as string;
    const edited = await resign((f) => {
      f.set('proofs.jsonl', utf8(`${[mutate(line), ...proofs.slice(1)].join('\n')}\n`));
    });
    refused(report(edited));
  });

  it('proof lines dropped, repeated or swapped are refused, even re-signed', async () => {
    const variants = [
      proofs.slice(1),
      [proofs[0], ...proofs],
      proofs.length > 1 ? [proofs[1], proofs[0], ...proofs.slice(2)] : proofs,
    ];
    for (const list of variants) {
      refused(report(await resign((f) => f.set('proofs.jsonl', utf8(`${list.join('\n')}\n`)))));
    }
  });

  it.each<[string, (t: string) => string]>([
    ['empty', () => ''],
    ['its origin changed', (t) => t.replace('example.com/audit', 'example.com/other')],
    ['its size changed', (t) => t.replace(/\n(\d+)\n/, (_m, n) => `\n${Number(n) + 1}\n`)],
    [
      'a signature line removed',
      (t) =>
        t
          .split('\n')
          .filter((l) => !l.startsWith('\u2014'))
          .join('\n'),
    ],
    ['a control character', (t) => t.replace('example.com', 'example\u0007.com')],
  ])('a checkpoint with %s is refused, even re-signed', async (_label, mutate) => {
    for (const name of ['checkpoint.txt', 'latest.txt']) {
      if (!files.has(name)) continue;
      refused(report(await resign((f) => f.set(name, utf8(mutate(text(name)))))));
    }
  });

  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['__proto__ trust', JSON.parse('{"__proto__":{"trust":["x"]},"checkpointKeys":[]}')],
    ['a trust list of junk', { trust: ['not-a-did'], checkpointKeys: ['not-a-did'] }],
    ['a stranger as log key', { ...JSON.parse(text('keys.json')), checkpointKeys: [STRANGER.id] }],
    ['a huge trust list', { ...JSON.parse(text('keys.json')), trust: Array.from({ length: 1_001 }, () => ALICE.id) }],
    // Shaped like a did:key but naming no Ed25519 key: another multicodec prefix.
    [
      'a trusted key that does not decode',
      { ...JSON.parse(text('keys.json')), trust: [ALICE.id.replace('did:key:z6', 'did:key:z7')] },
    ],
  ])('keys.json with %s is refused, even re-signed', async (_label, keys) => {
    refused(report(await resign((f) => f.set('keys.json', utf8(JSON.stringify(keys))))));
  });
});

describe('evidence bundles: fuzzers', () => {
  const names = [...files.keys()].filter((n) => n !== 'manifest.json');

  it('fuzz: any one byte of any file changed, then re-signed by the exporter, is refused or the same content', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (name, at, delta) => {
          const original = files.get(name) as Uint8Array;
          fc.pre(original.length > 0);
          const bytes = original.slice();
          const i = at % bytes.length;
          bytes[i] = ((bytes[i] as number) + delta) & 0xff;
          const r = report(await resign((f) => f.set(name, bytes)));
          if (r.ok) {
            // Accepted only when the change is invisible to what the bundle claims: JSON whitespace at most.
            expect(name.endsWith('.json')).toBe(true);
            expect(JSON.stringify(JSON.parse(fromUtf8(bytes)))).toBe(JSON.stringify(JSON.parse(fromUtf8(original))));
          } else refused(r);
        },
      ),
      fuzzParams(50),
    );
  });

  it('fuzz: arbitrary file maps (junk names and bytes beside or instead of the bundle) are refused, never thrown', () => {
    const name = fc.oneof(
      fc.constantFrom(...files.keys()),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('__proto__', 'constructor', '../x', 'policies/x.json'),
    );
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => utf8(JSON.stringify(v) ?? 'null')),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(name, bytes), { maxLength: 6 }), fc.boolean(), (entries, keep) => {
        const map = keep ? new Map([...files, ...entries]) : new Map(entries);
        const r = report(map);
        if (r.ok)
          expect(
            [...map].every(([n, b]) => files.has(n) && sha256Hex(b) === sha256Hex(files.get(n) as Uint8Array)),
          ).toBe(true);
        else refused(r);
      }),
      fuzzParams(),
    );
  });
});
