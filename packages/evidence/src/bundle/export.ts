import type { TrustStore } from '@agentguard/attestation';
import { type AuditRecord, AuditError, readLog, verifyLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import { parsePolicy, policyHash } from '@agentguard/policy';
import {
  canonicalBytes,
  canonicalize,
  IN_TOTO_PAYLOAD_TYPE,
  parseJson,
  STATEMENT_V1_TYPE,
  sha256Hex,
  signEnvelope,
  toBase64,
  utf8,
} from '@agentguard/statement';
import { BundleError } from './errors.js';
import {
  BUNDLE_FILES,
  BUNDLE_PREDICATE_TYPE,
  type BundlePredicate,
  formatTlogProof,
  MAX_BUNDLE_FILES,
} from './format.js';
import { MAX_RECORD_LINE_BYTES, splitJsonLines } from './lines.js';
import { trustList } from './trust.js';

/** Options of {@link exportBundle}. */
export interface ExportBundleOptions {
  /** The log: its bytes as read from a file (JSON Lines), or a rotated directory's bytes joined in order. */
  readonly log: Uint8Array;
  /** The exporter's key: signs the manifest. */
  readonly signer: Signer;
  /** Only records of this agent (`did:key`). @default every agent */
  readonly agent?: string;
  /** First instant of the range, epoch ms (inclusive, on each record's `ts`). @default the log's start */
  readonly fromMs?: number;
  /** Last instant of the range, epoch ms (inclusive). @default the log's end */
  readonly toMs?: number;
  /**
   * Keys trusted to sign records, as in force at the incident; the log must verify under them, and the bundle
   * keeps them in `keys.json`. @default the signers of the exported records and of the log's checkpoints (the
   *   exporter vouches for them; no other agent's key is named)
   */
  readonly trust?: TrustStore | readonly string[];
  /** The log's own keys, the only ones whose checkpoints count. @default the signers of the log's checkpoints */
  readonly checkpointKeys?: readonly string[];
  /** Policy documents (parsed JSON) in force: kept by their policy hash. @default none */
  readonly policies?: readonly unknown[];
  /** Credentials in force, each as the bytes of a JSON file: kept by SHA-256. @default none */
  readonly credentials?: readonly Uint8Array[];
  /** Revocation lists in force, each as the bytes of a JSON file: kept by SHA-256. @default none */
  readonly revocations?: readonly Uint8Array[];
  /** The clock that dates the export, epoch ms. @default Date.now */
  readonly clock?: () => number;
}

/** A bundle in memory: every file by its path inside the bundle, and what it holds. */
export interface EvidenceBundle {
  /** Every file, `manifest.json` included, by its relative path (`policies/<hex>.json`). */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Number of records exported. */
  readonly records: number;
  /** Policy hashes the records name that no given policy has. */
  readonly missingPolicies: readonly string[];
}

const fail = (code: 'ERR_EVIDENCE_BUNDLE_INPUT_INVALID', message: string, cause?: unknown): never => {
  throw new BundleError(code, message, cause === undefined ? undefined : { cause });
};

function iso(ms: number | undefined, name: string): string | null {
  if (ms === undefined) return null;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new TypeError(`"${name}" expected epoch milliseconds`);
  }
  return new Date(ms).toISOString();
}

/** The lines of a log, as bytes, without their newlines: split as the verifier splits records.jsonl. */
function lineBytes(bytes: Uint8Array): Uint8Array[] {
  const split = splitJsonLines(bytes, MAX_RECORD_LINE_BYTES);
  if (!split.ok) return fail('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `log line ${split.line} ${split.reason}`);
  return split.lines;
}

function jsonFile(bytes: unknown, what: string, index: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`"${what}" expected an array of Uint8Array`);
  try {
    parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), { maxBytes: 16 * 1024 * 1024 });
  } catch (cause) {
    fail('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `${what}[${index}] is not strict JSON`, cause);
  }
  return bytes;
}

function policyOf(record: AuditRecord): string | undefined {
  if (record.type === 'checkpoint') return undefined;
  const hash = record.data?.policyHash;
  return typeof hash === 'string' && /^sha256:[0-9a-f]{64}$/.test(hash) ? hash : undefined;
}

/**
 * Exports the records of a log in a time range (and of one agent) as a self-contained evidence bundle: the
 * records, one c2sp.org/tlog-proof inclusion proof per record against the first checkpoint that covers them
 * all, a consistency proof from that checkpoint to the log's newest, the policies by hash, the keys,
 * credentials and revocation lists in force, and a manifest of every file signed by `signer`. Other records'
 * content never enters the bundle: proofs carry only tree hashes.
 *
 * @returns the bundle's files in memory (write them with `writeBundleDirectory`).
 * @throws BundleError `ERR_EVIDENCE_BUNDLE_INPUT_INVALID` (the log does not verify, bad policy or JSON),
 *   `ERR_EVIDENCE_BUNDLE_EMPTY` (nothing in range), `ERR_EVIDENCE_BUNDLE_NOT_COVERED` (no checkpoint covers
 *   the range yet), `ERR_EVIDENCE_BUNDLE_TOO_LARGE`; TypeError on misuse.
 * @example
 * ```ts
 * const bundle = await exportBundle({ log: readFileSync('audit.jsonl'), signer: exporter, agent: agent.id });
 * await writeBundleDirectory('incident-42', bundle);
 * ```
 */
export async function exportBundle(options: ExportBundleOptions): Promise<EvidenceBundle> {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { log, signer } = options;
  if (!(log instanceof Uint8Array)) throw new TypeError('"log" expected Uint8Array');
  if (typeof signer?.sign !== 'function' || typeof signer.id !== 'string')
    throw new TypeError('"signer" expected a Signer');
  if (options.agent !== undefined && (typeof options.agent !== 'string' || !options.agent.startsWith('did:key:'))) {
    throw new TypeError('"agent" expected a did:key');
  }
  const from = iso(options.fromMs, 'fromMs');
  const to = iso(options.toMs, 'toMs');
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new TypeError('"clock" expected a function');
  const trustGiven = options.trust === undefined ? undefined : trustList(options.trust, 'trust');
  const keysGiven =
    options.checkpointKeys === undefined ? undefined : trustList(options.checkpointKeys, 'checkpointKeys');

  let view: ReturnType<typeof readLog>;
  try {
    view = readLog(log);
  } catch (error) {
    if (!(error instanceof AuditError)) throw error;
    return fail('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `the log does not verify: ${error.code}: ${error.message}`, error);
  }
  if (trustGiven !== undefined) {
    const report = verifyLog(log, {
      trust: trustGiven,
      ...(keysGiven === undefined ? {} : { checkpointKeys: keysGiven }),
    });
    if (!report.ok) {
      fail(
        'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
        `the log does not verify under the trust given: line ${report.line}: ${report.code}: ${report.reason}`,
      );
    }
  }

  const fromMs = options.fromMs ?? Number.NEGATIVE_INFINITY;
  const toMs = options.toMs ?? Number.POSITIVE_INFINITY;
  const selected = view.records.filter((r) => {
    if (r.type === 'checkpoint') return false;
    if (options.agent !== undefined && r.agent !== options.agent) return false;
    const ts = Date.parse(r.ts);
    return ts >= fromMs && ts <= toMs;
  });
  if (selected.length === 0)
    throw new BundleError('ERR_EVIDENCE_BUNDLE_EMPTY', 'no record of the log matches the range and filters');
  const last = (selected.at(-1) as AuditRecord).seq;
  const checkpoint = view.checkpoints.find((c) => c.size > last);
  const latest = view.checkpoints.at(-1);
  if (checkpoint === undefined || latest === undefined || view.origin === undefined) {
    throw new BundleError(
      'ERR_EVIDENCE_BUNDLE_NOT_COVERED',
      `record seq ${last} is not covered by a signed checkpoint yet: checkpoint the log (agentguard audit checkpoint) and export again`,
    );
  }

  const files = new Map<string, Uint8Array>();
  const lines = lineBytes(log);
  const recordParts: Uint8Array[] = [];
  const proofLines: string[] = [];
  for (const record of selected) {
    recordParts.push(lines[record.seq] as Uint8Array, Uint8Array.of(0x0a));
    const proof = formatTlogProof({
      index: record.seq,
      hashes: view.tree.inclusionProof(record.seq, checkpoint.size),
      checkpoint: checkpoint.note,
    });
    proofLines.push(canonicalize({ seq: record.seq, proof }));
  }
  files.set(BUNDLE_FILES.records, concat(recordParts));
  files.set(BUNDLE_FILES.proofs, utf8(`${proofLines.join('\n')}\n`));
  files.set(BUNDLE_FILES.checkpoint, utf8(checkpoint.note));
  files.set(BUNDLE_FILES.latest, utf8(latest.note));
  files.set(
    BUNDLE_FILES.consistency,
    canonicalBytes({
      size1: checkpoint.size,
      size2: latest.size,
      proof: view.tree.consistencyProof(checkpoint.size, latest.size).map((h) => toBase64(h)),
    }),
  );
  const logSigners = [...new Set([...selected.map((r) => r.signer), ...view.checkpoints.map((c) => c.signer)])];
  const checkpointSigners = [...new Set(view.checkpoints.map((c) => c.signer))];
  files.set(
    BUNDLE_FILES.keys,
    canonicalBytes({ trust: [...(trustGiven ?? logSigners)], checkpointKeys: [...(keysGiven ?? checkpointSigners)] }),
  );

  const present = new Set<string>();
  for (const [i, policy] of (options.policies ?? []).entries()) {
    let hash: string;
    let bytes: Uint8Array;
    try {
      const parsed = parsePolicy(policy);
      hash = policyHash(parsed);
      bytes = canonicalBytes(parsed);
    } catch (cause) {
      return fail(
        'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
        `policies[${i}] is not a valid policy: ${(cause as Error).message}`,
        cause,
      );
    }
    present.add(hash);
    files.set(`policies/${hash.slice('sha256:'.length)}.json`, bytes);
  }
  for (const [what, list] of [
    ['credentials', options.credentials],
    ['revocations', options.revocations],
  ] as const) {
    for (const [i, bytes] of (list ?? []).entries())
      files.set(`${what}/${sha256Hex(jsonFile(bytes, what, i))}.json`, bytes);
  }
  if (files.size >= MAX_BUNDLE_FILES) {
    throw new BundleError('ERR_EVIDENCE_BUNDLE_TOO_LARGE', `a bundle holds at most ${MAX_BUNDLE_FILES} files`);
  }

  const referenced = [...new Set(selected.map(policyOf).filter((h): h is string => h !== undefined))].sort();
  const missingPolicies = referenced.filter((h) => !present.has(h));
  const predicate: BundlePredicate = {
    exportedAt: new Date(clock()).toISOString(),
    exporter: signer.id,
    origin: view.origin,
    filters: { agent: options.agent ?? null, from, to },
    records: selected.length,
    checkpoint: { size: checkpoint.size, root: toBase64(view.tree.root(checkpoint.size)) },
    latest: { size: latest.size, root: toBase64(view.tree.root(latest.size)) },
    policies: referenced,
    missingPolicies,
  };
  const statement = {
    _type: STATEMENT_V1_TYPE,
    subject: [...files.keys()]
      .sort()
      .map((name) => ({ name, digest: { sha256: sha256Hex(files.get(name) as Uint8Array) } })),
    predicateType: BUNDLE_PREDICATE_TYPE,
    predicate,
  };
  const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes(statement), [
    { keyid: signer.keyId, sign: (message) => signer.sign(message) },
  ]);
  files.set(BUNDLE_FILES.manifest, utf8(`${JSON.stringify(envelope, null, 2)}\n`));
  return { files, records: selected.length, missingPolicies };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
