import type { TrustStore } from '@agentguard/attestation';
import {
  type AuditErrorCode,
  openNote,
  parseCheckpoint,
  verifyConsistency,
  createInclusionVerifier,
  type RecordLineResult,
  verifyRecordLine,
} from '@agentguard/audit';
import { verifyRecordLines, verifyRecordLinesEach } from '@agentguard/audit/file';
import { didOfKeyId, didToPublicKey, verify } from '@agentguard/identity';
import { parsePolicy, policyHash } from '@agentguard/policy';
import {
  bytesEqual,
  fromBase64,
  fromUtf8,
  IN_TOTO_PAYLOAD_TYPE,
  parseJson,
  parseStatement,
  sha256Hex,
  verifyEnvelope,
} from '@agentguard/statement';
import type { BundleErrorCode } from './errors.js';
import {
  BUNDLE_FILES,
  BUNDLE_PREDICATE_TYPE,
  type BundlePredicate,
  bundleKeysSchema,
  bundlePredicateSchema,
  CONTENT_FILE,
  consistencySchema,
  MAX_BUNDLE_FILES,
  MAX_MANIFEST_BYTES,
} from './format.js';
import { linesOf, MAX_PROOF_LINE_BYTES, MAX_RECORD_LINE_BYTES, splitJsonLines } from './lines.js';
import { checkProofLine, createCanonicalProofCheck } from './proof-line.js';
import { trustList } from './trust.js';

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions {
  /** Keys trusted to sign bundle manifests (the exporters'). Required: a bundle anyone signed proves nothing. */
  readonly trust: TrustStore | readonly string[];
  /** Called every 10,000 records and at the end with the records checked and the total. @default none */
  readonly onProgress?: (checked: number, total: number) => void;
}

/** One problem found: its code, the file, and the record (seq and 1-based line) when there is one. */
export interface BundleFinding {
  readonly code: BundleErrorCode;
  /** The bundle file, e.g. `records.jsonl` or `policies/<hex>.json`. */
  readonly file: string;
  /** The record's `seq`, for a finding about one record. */
  readonly seq?: number;
  /** 1-based line of the file, for a finding about one line. */
  readonly line?: number;
  /** The audit library's code, for a record that fails its own checks. */
  readonly auditCode?: AuditErrorCode;
  /** What is wrong, for a human. */
  readonly reason: string;
}

/** What {@link verifyBundle} found. `ok` only with no finding at all. */
export interface BundleReport {
  readonly ok: boolean;
  /** Every problem, in the order checked (at most 1,000; the last one then says so). */
  readonly findings: readonly BundleFinding[];
  /** Records that passed every check. */
  readonly records: number;
  /** The did:key whose signature on the manifest verified, when one did. */
  readonly exporter?: string;
  /** The manifest's predicate (range, filters, checkpoints), once its signature verified. */
  readonly manifest?: BundlePredicate;
}

const MAX_FINDINGS = 1000;

class Findings {
  readonly list: BundleFinding[] = [];
  add(finding: BundleFinding): void {
    if (this.list.length < MAX_FINDINGS - 1) this.list.push(finding);
    else if (this.list.length === MAX_FINDINGS - 1) {
      this.list.push({ ...finding, reason: `${finding.reason} (and more: findings stop at ${MAX_FINDINGS})` });
    }
  }
}

/** The public key of a did:key from a bundle file, or undefined when it names none (never a throw). */
function keyOf(did: string): Uint8Array | undefined {
  try {
    return didToPublicKey(did);
  } catch {
    return undefined;
  }
}

/** Base64 from a bundle file, or undefined when it is not canonical base64 (never a throw). */
function decode(text: string): Uint8Array | undefined {
  try {
    return fromBase64(text);
  } catch {
    return undefined;
  }
}

function text(bytes: Uint8Array): string | undefined {
  try {
    return fromUtf8(bytes);
  } catch {
    return undefined;
  }
}

function json(bytes: Uint8Array, maxBytes = 64 * 1024 * 1024): unknown {
  const t = text(bytes);
  if (t === undefined) throw new Error('not UTF-8');
  return parseJson(t, { maxBytes });
}

const isName = (name: string) => CONTENT_FILE.test(name) || (Object.values(BUNDLE_FILES) as string[]).includes(name);

/**
 * Verifies an evidence bundle offline: the manifest's signature by a trusted exporter; that the bundle holds
 * exactly the files the manifest lists, each with its SHA-256; the keys; both checkpoints (C2SP signed notes by a
 * log key of the bundle) and the consistency proof between them; every record on its own (canonical form, hash,
 * signature, call envelope) and signed by a key of the bundle, inside the manifest's range and filters, with a
 * c2sp.org/tlog-proof inclusion proof against the bundle's checkpoint; and that every policy a record names is
 * in the bundle. Every problem is a finding naming the file and, for a record, its seq and line.
 *
 * @param files - the bundle's files by relative path (from `readBundleDirectory`, or `exportBundle`'s `files`).
 * @returns a {@link BundleReport}; a bad bundle is `{ ok: false, findings }`, never a throw.
 * @throws TypeError on misuse (`trust` missing or not did:keys).
 * @example
 * ```ts
 * const report = verifyBundle(await readBundleDirectory('incident-42'), { trust: [exporter.id] });
 * for (const f of report.findings) console.error(`${f.file}${f.seq === undefined ? '' : ` seq ${f.seq}`}: ${f.code} ${f.reason}`);
 * ```
 */
export function verifyBundle(files: ReadonlyMap<string, Uint8Array>, options: VerifyBundleOptions): BundleReport {
  return checkBundle(files, options, (_, line) => verifyRecordLine(line));
}

/** Options of {@link verifyBundleParallel}. */
export interface VerifyBundleParallelOptions extends VerifyBundleOptions {
  /**
   * Worker threads that check the records' Ed25519 signatures; 0 checks them on the calling thread.
   * @default the machine's available parallelism, at most 8
   */
  readonly workers?: number;
}

/**
 * {@link verifyBundle} with the records' signatures checked on worker threads (Node): the same checks and the
 * same report, faster for a bundle of many signed records, where one or two Ed25519 verifications per record
 * bound what one thread can do. `agentguard incident verify` uses it.
 *
 * @param files - the bundle's files by path, as {@link readBundleDirectory} gives them.
 * @param options - `trust` (required), `onProgress`, `workers`.
 * @returns a {@link BundleReport}, the same as `verifyBundle` gives; a bad bundle is `{ ok: false, findings }`.
 * @throws TypeError when `files` is not a Map or `trust` is missing; RangeError on a bad `workers`.
 * @example
 * ```ts
 * const report = await verifyBundleParallel(await readBundleDirectory('incident-42'), { trust: [exporter.id] });
 * console.log(report.ok, report.records);
 * ```
 */
export async function verifyBundleParallel(
  files: ReadonlyMap<string, Uint8Array>,
  options: VerifyBundleParallelOptions,
): Promise<BundleReport> {
  if (!(files instanceof Map)) throw new TypeError('"files" expected a Map of path to Uint8Array');
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  trustList(options.trust, 'trust'); // a bad trust list throws before any work, and so does a bad `workers`
  const count = options.workers;
  if (count !== undefined && (!Number.isSafeInteger(count) || count < 0 || count > 64)) {
    throw new RangeError(`"workers" expected an integer from 0 to 64, got ${String(count)}`);
  }
  // Each record line is checked as it is read (its signatures go to worker threads), and the bundle's own checks
  // on it (scope, proof) run at once, on this thread, while the workers verify: no line's result is kept, so
  // a long bundle is checked in little memory. When every signature verified, those results were final and so
  // is the report. Otherwise the bundle is checked again on every line's final result, so the report is always
  // exactly what verifyBundle gives.
  const bytes = files.get(BUNDLE_FILES.records);
  const splitRecords = bytes instanceof Uint8Array ? splitJsonLines(bytes, MAX_RECORD_LINE_BYTES) : undefined;
  const lines = splitRecords?.ok === true ? splitRecords.lines : undefined;
  const split = bytes instanceof Uint8Array && lines !== undefined ? { bytes, lines } : undefined;
  const workers = count === undefined ? {} : { workers: count };
  const run = openBundle(files, options, split);
  if (!('finish' in run) || run.records !== lines || lines === undefined || lines.length === 0) {
    // Nothing to check on worker threads: no records, or none the bundle vouches for.
    return 'finish' in run ? finishOn(run, (_, line) => verifyRecordLine(line)) : run;
  }
  const changed = await verifyRecordLinesEach(lines, (i, result) => run.record(i, result), workers);
  if (changed.size === 0) return run.finish();
  const final = await verifyRecordLines(lines, workers);
  return checkBundle(files, options, (index, line) => final[index] ?? verifyRecordLine(line), split);
}

/** Lines of records.jsonl already split, when its bytes are `bytes`. */
interface SplitRecords {
  readonly bytes: Uint8Array;
  readonly lines: readonly Uint8Array[];
}

/**
 * Checks a bundle; `checkLine` gives the result of `verifyRecordLine` for line `index` of records.jsonl, and
 * `split` may hold the lines of records.jsonl, already split.
 */
function checkBundle(
  files: ReadonlyMap<string, Uint8Array>,
  options: VerifyBundleOptions,
  checkLine: (index: number, line: Uint8Array) => RecordLineResult,
  split?: SplitRecords,
): BundleReport {
  const run = openBundle(files, options, split);
  return 'finish' in run ? finishOn(run, checkLine) : run;
}

/** Checks every record of a run, each with `checkLine`'s result for it, then the rest. */
function finishOn(run: BundleRun, checkLine: (index: number, line: Uint8Array) => RecordLineResult): BundleReport {
  const records = run.records ?? [];
  for (let i = 0; i < records.length; i++) run.record(i, checkLine(i, records[i] as Uint8Array));
  return run.finish();
}

/** A bundle being checked, once its manifest, files, keys and checkpoints are: its records, then the rest. */
interface BundleRun {
  /** The lines of records.jsonl to check, one by one with {@link BundleRun.record}, in order. */
  readonly records: readonly Uint8Array[] | undefined;
  /** Checks record line `i` with its result from `verifyRecordLine`. */
  record(i: number, result: RecordLineResult): void;
  /** Checks what is left once every record is (policies, counts) and gives the report. */
  finish(): BundleReport;
}

/**
 * Checks a bundle up to its records: the report when it ends there (a manifest that is not trusted), or the run
 * that checks the records one at a time and then the rest.
 */
function openBundle(
  files: ReadonlyMap<string, Uint8Array>,
  options: VerifyBundleOptions,
  split?: SplitRecords,
): BundleReport | BundleRun {
  if (!(files instanceof Map)) throw new TypeError('"files" expected a Map of path to Uint8Array');
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const trusted = new Set(trustList(options.trust, 'trust'));
  const progress = options.onProgress;
  if (progress !== undefined && typeof progress !== 'function') throw new TypeError('"onProgress" expected a function');
  const findings = new Findings();
  const report = (extra: Partial<BundleReport> = {}, records = 0): BundleReport => ({
    ok: findings.list.length === 0,
    findings: findings.list,
    records,
    ...extra,
  });

  // 1. The manifest, signed by a trusted exporter.
  const manifestFile = BUNDLE_FILES.manifest;
  const manifestBytes = files.get(manifestFile);
  const badManifest = (reason: string) =>
    findings.add({ code: 'ERR_EVIDENCE_BUNDLE_MANIFEST_INVALID', file: manifestFile, reason });
  if (!(manifestBytes instanceof Uint8Array)) {
    badManifest('the bundle has no manifest.json');
    return report();
  }
  if (manifestBytes.length > MAX_MANIFEST_BYTES) {
    badManifest(`manifest.json is larger than ${MAX_MANIFEST_BYTES} bytes`);
    return report();
  }
  let envelope: unknown;
  try {
    envelope = json(manifestBytes, MAX_MANIFEST_BYTES);
  } catch (error) {
    badManifest(`manifest.json is not strict JSON: ${(error as Error).message}`);
    return report();
  }
  let exporter: string | undefined;
  const verified = verifyEnvelope(envelope, {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    maxPayloadBytes: MAX_MANIFEST_BYTES,
    maxSignatures: 1,
    verifierFor: (keyid) => {
      const did = didOfKeyId(keyid);
      if (did === undefined || !trusted.has(did)) return undefined;
      const key = didToPublicKey(did);
      return (sig, message) => {
        exporter = did;
        return verify(sig, message, key);
      };
    },
  });
  if (!verified.ok) {
    const signature =
      verified.code === 'ERR_STATEMENT_KEY_UNTRUSTED' || verified.code === 'ERR_STATEMENT_SIGNATURE_INVALID';
    findings.add({
      code: signature ? 'ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID' : 'ERR_EVIDENCE_BUNDLE_MANIFEST_INVALID',
      file: manifestFile,
      reason: signature
        ? `manifest is not signed by a trusted key: ${verified.reason}`
        : `manifest is not a DSSE envelope: ${verified.code}: ${verified.reason}`,
    });
    return report();
  }
  const by = exporter as string | undefined;
  if (by === undefined) {
    findings.add({
      code: 'ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID',
      file: manifestFile,
      reason: 'no trusted signature on the manifest verified',
    });
    return report();
  }
  let predicate: BundlePredicate;
  let subjects: ReadonlyArray<{ name: string; digest: Readonly<Record<string, string>> }>;
  try {
    const statement = parseStatement(verified.payload, { predicateType: BUNDLE_PREDICATE_TYPE, maxSubjects: 1024 });
    const parsed = bundlePredicateSchema.safeParse(statement.predicate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`predicate ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    predicate = parsed.data;
    subjects = statement.subject as typeof subjects;
  } catch (error) {
    badManifest(`manifest is not a bundle statement: ${(error as Error).message}`);
    return report({ exporter: by });
  }
  if (predicate.exporter !== by) {
    findings.add({
      code: 'ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID',
      file: manifestFile,
      reason: `manifest names exporter ${predicate.exporter} but is signed by ${by}`,
    });
  }

  // 2. Exactly the listed files, each with its digest.
  const listed = new Map<string, string>();
  for (const s of subjects) {
    const digest = s.digest.sha256;
    if (!isName(s.name) || typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest) || listed.has(s.name)) {
      badManifest(`manifest lists ${JSON.stringify(s.name.slice(0, 120))} with a bad name, digest, or twice`);
      return report({ exporter: by, manifest: predicate });
    }
    listed.set(s.name, digest);
  }
  const good = new Set<string>();
  for (const [name, digest] of listed) {
    const bytes = files.get(name);
    if (bytes === undefined) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_FILE_MISSING',
        file: name,
        reason: `${name} is listed in the manifest but not in the bundle`,
      });
    } else if (sha256Hex(bytes) !== digest) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_FILE_CHANGED',
        file: name,
        reason: `${name} does not have the SHA-256 the manifest lists: it was changed`,
      });
    } else good.add(name);
  }
  for (const name of files.keys()) {
    if (name !== manifestFile && !listed.has(name)) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_FILE_ADDED',
        file: name,
        reason: `${name} is in the bundle but not in the manifest: it was added`,
      });
    }
  }
  // Every bundle holds these: a manifest that leaves one out cannot vouch for what the bundle claims.
  for (const name of Object.values(BUNDLE_FILES)) {
    if (name !== manifestFile && !listed.has(name)) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_FILE_MISSING',
        file: name,
        reason: `${name} is not listed in the manifest; every bundle holds it`,
      });
    }
  }
  const read = (name: string) => (good.has(name) ? files.get(name) : undefined);
  const malformed = (file: string, reason: string, at: { seq?: number; line?: number } = {}) =>
    findings.add({ code: 'ERR_EVIDENCE_BUNDLE_FILE_MALFORMED', file, ...at, reason });

  // 3. Keys in force.
  let keys: { trust: Set<string>; checkpointKeys: string[] } | undefined;
  const keysBytes = read(BUNDLE_FILES.keys);
  if (keysBytes !== undefined) {
    try {
      const parsed = bundleKeysSchema.parse(json(keysBytes));
      // As verifyLog holds them: a log key is a trusted key (the exporter writes every log key in both lists).
      const outside = parsed.checkpointKeys.find((k) => !parsed.trust.includes(k));
      if (outside !== undefined) throw new Error(`checkpoint key ${outside} is not in "trust"`);
      keys = { trust: new Set(parsed.trust), checkpointKeys: parsed.checkpointKeys };
    } catch (error) {
      malformed(BUNDLE_FILES.keys, `keys.json is not a key list: ${(error as Error).message.slice(0, 200)}`);
    }
  }

  // 4. Checkpoints (signed by a log key) and the consistency proof between them.
  const openCheckpoint = (name: string, head: { size: number; root: string }) => {
    const bytes = read(name);
    if (bytes === undefined || keys === undefined) return undefined;
    const note = text(bytes);
    const signer =
      note === undefined
        ? undefined
        : keys.checkpointKeys.find((did) => {
            const key = keyOf(did);
            return key !== undefined && openNote(note, predicate.origin, key) !== undefined;
          });
    const body =
      note === undefined || signer === undefined
        ? undefined
        : openNote(note, predicate.origin, keyOf(signer) as Uint8Array);
    const checkpoint = body === undefined ? undefined : parseCheckpoint(body);
    if (note === undefined || checkpoint === undefined) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_CHECKPOINT_INVALID',
        file: name,
        reason: `${name} is not a checkpoint of log "${predicate.origin}" signed by a log key of keys.json`,
      });
      return undefined;
    }
    if (checkpoint.size !== head.size || !bytesEqual(checkpoint.root, decode(head.root) ?? new Uint8Array(0))) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_CHECKPOINT_INVALID',
        file: name,
        reason: `${name} is for size ${checkpoint.size}, not the size ${head.size} and root the manifest names`,
      });
      return undefined;
    }
    return { note, checkpoint };
  };
  const bundleCheckpoint = openCheckpoint(BUNDLE_FILES.checkpoint, predicate.checkpoint);
  const latest = openCheckpoint(BUNDLE_FILES.latest, predicate.latest);
  const consistencyBytes = read(BUNDLE_FILES.consistency);
  if (consistencyBytes !== undefined && bundleCheckpoint !== undefined && latest !== undefined) {
    let proof: { size1: number; size2: number; proof: string[] } | undefined;
    try {
      proof = consistencySchema.parse(json(consistencyBytes));
    } catch (error) {
      malformed(
        BUNDLE_FILES.consistency,
        `consistency.json is not a consistency proof: ${(error as Error).message.slice(0, 200)}`,
      );
    }
    if (
      proof !== undefined &&
      (proof.size1 !== bundleCheckpoint.checkpoint.size ||
        proof.size2 !== latest.checkpoint.size ||
        !verifyConsistency(
          proof.size1,
          proof.size2,
          proof.proof.map((h) => decode(h) ?? new Uint8Array(0)),
          bundleCheckpoint.checkpoint.root,
          latest.checkpoint.root,
        ))
    ) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_PROOF_INVALID',
        file: BUNDLE_FILES.consistency,
        reason: `the consistency proof does not show the log of checkpoint.txt (size ${bundleCheckpoint.checkpoint.size}) growing into latest.txt (size ${latest.checkpoint.size})`,
      });
    }
  }

  // 5. Records, each with its inclusion proof.
  const recordLines = read(BUNDLE_FILES.records);
  const proofBytes = read(BUNDLE_FILES.proofs);
  let passed = 0;
  const policiesNamed = new Map<string, number>();
  const records =
    recordLines === undefined
      ? undefined
      : split !== undefined && split.bytes === recordLines
        ? split.lines
        : linesOf(splitJsonLines(recordLines, MAX_RECORD_LINE_BYTES), BUNDLE_FILES.records, malformed);
  const splitProofs = proofBytes === undefined ? undefined : splitJsonLines(proofBytes, MAX_PROOF_LINE_BYTES);
  const proofs = linesOf(splitProofs, BUNDLE_FILES.proofs, malformed);
  if (records !== undefined && records.length !== predicate.records) {
    malformed(BUNDLE_FILES.records, `records.jsonl has ${records.length} records, the manifest ${predicate.records}`);
  }
  if (records !== undefined && proofs !== undefined && proofs.length !== records.length) {
    malformed(BUNDLE_FILES.proofs, `proofs.jsonl has ${proofs.length} proofs for ${records.length} records`);
  }
  const fromMs = predicate.filters.from === null ? Number.NEGATIVE_INFINITY : Date.parse(predicate.filters.from);
  const toMs = predicate.filters.to === null ? Number.POSITIVE_INFINITY : Date.parse(predicate.filters.to);
  let lastSeq = -1;
  const included =
    bundleCheckpoint === undefined
      ? undefined
      : createInclusionVerifier(bundleCheckpoint.checkpoint.size, bundleCheckpoint.checkpoint.root);
  const canonicalProof = bundleCheckpoint === undefined ? undefined : createCanonicalProofCheck(bundleCheckpoint);
  const total = records?.length ?? 0;
  // One record line with its result (from verifyRecordLine), in order: the checks of the bundle on it.
  const checkRecord = (i: number, result: RecordLineResult): void => {
    const at = { line: i + 1 };
    const file = BUNDLE_FILES.records;
    if (!result.ok) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_RECORD_INVALID',
        file,
        ...at,
        auditCode: result.code,
        reason: result.reason,
      });
      return;
    }
    const { record, leaf } = result;
    const where = { ...at, seq: record.seq };
    let ok = true;
    const scope = (reason: string) => {
      ok = false;
      findings.add({ code: 'ERR_EVIDENCE_BUNDLE_RECORD_OUT_OF_SCOPE', file, ...where, reason });
    };
    if (record.type === 'checkpoint') scope(`record seq ${record.seq} is a checkpoint record, not an event`);
    else {
      if (predicate.filters.agent !== null && record.agent !== predicate.filters.agent) {
        scope(`record seq ${record.seq} is of agent ${record.agent}, outside the bundle's agent filter`);
      }
      const hash = record.data?.policyHash;
      if (typeof hash === 'string' && !policiesNamed.has(hash)) policiesNamed.set(hash, record.seq);
    }
    const ts = Date.parse(record.ts);
    if (ts < fromMs || ts > toMs) scope(`record seq ${record.seq} at ${record.ts} is outside the bundle's range`);
    if (record.seq <= lastSeq) scope(`record seq ${record.seq} follows seq ${lastSeq}: repeated or out of order`);
    lastSeq = Math.max(lastSeq, record.seq);
    if (keys !== undefined && !keys.trust.has(record.signer)) {
      ok = false;
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_RECORD_UNTRUSTED',
        file,
        ...where,
        reason: `record seq ${record.seq} is signed by ${record.signer}, which keys.json does not trust`,
      });
    }
    if (!result.signed && keys !== undefined && !keys.checkpointKeys.includes(record.signer)) {
      ok = false;
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_RECORD_UNTRUSTED',
        file,
        ...where,
        reason: `record seq ${record.seq} is batched (unsigned) and names ${record.signer}, not a log key whose checkpoint could vouch for it`,
      });
    }
    // The proof on the same line of proofs.jsonl: a canonical line that holds is known at once; any other is
    // read and checked in full, which names what is wrong.
    const proofLine = proofs?.[i];
    if (proofLine === undefined || bundleCheckpoint === undefined || included === undefined) ok = false;
    else if (!canonicalProof?.(proofLine, record.seq, leaf)) {
      const problem = checkProofLine(proofLine, i, record.seq, leaf, bundleCheckpoint, included);
      if (problem !== undefined) {
        ok = false;
        findings.add({
          code: 'ERR_EVIDENCE_BUNDLE_PROOF_INVALID',
          file: BUNDLE_FILES.proofs,
          line: i + 1,
          seq: record.seq,
          reason: problem,
        });
      }
    }
    if (ok) passed++;
    if (progress !== undefined && (i + 1) % 10_000 === 0) progress(i + 1, total);
  };

  const finish = (): BundleReport => {
    if (records !== undefined) progress?.(total, total);
    // 6. Policies by hash: every file hashes to its name, every policy named is there; credentials alike.
    const policyFiles = new Set<string>();
    for (const name of listed.keys()) {
      const match = CONTENT_FILE.exec(name);
      const bytes = read(name);
      if (match === null || bytes === undefined) continue;
      const [, dir, hex] = match as unknown as [string, string, string];
      if (dir === 'policies') {
        let hash: string | undefined;
        try {
          hash = policyHash(parsePolicy(json(bytes)));
        } catch (error) {
          findings.add({
            code: 'ERR_EVIDENCE_BUNDLE_POLICY_INVALID',
            file: name,
            reason: `${name} is not a policy: ${(error as Error).message.slice(0, 200)}`,
          });
          continue;
        }
        if (hash !== `sha256:${hex}`) {
          findings.add({
            code: 'ERR_EVIDENCE_BUNDLE_POLICY_INVALID',
            file: name,
            reason: `${name} has policy hash ${hash}, not the one its name says`,
          });
        } else policyFiles.add(hash);
      } else {
        let problem: string | undefined;
        try {
          json(bytes);
          if (sha256Hex(bytes) !== hex) problem = `${name} does not hash to its name`;
        } catch (error) {
          problem = `${name} is not strict JSON: ${(error as Error).message.slice(0, 200)}`;
        }
        if (problem !== undefined) malformed(name, problem);
      }
    }
    for (const [hash, seq] of policiesNamed) {
      if (!policyFiles.has(hash)) {
        findings.add({
          code: 'ERR_EVIDENCE_BUNDLE_POLICY_MISSING',
          file: `policies/${hash.replace(/^sha256:/, '').slice(0, 64)}.json`,
          seq,
          reason: `record seq ${seq} (and any later one) was decided by policy ${hash.slice(0, 80)}, which the bundle does not hold`,
        });
      }
    }
    if (listed.size > MAX_BUNDLE_FILES) badManifest(`manifest lists more than ${MAX_BUNDLE_FILES} files`);
    // Belt and braces: a bundle is good only when every record the manifest counts passed every check.
    if (passed !== predicate.records && findings.list.length === 0) {
      findings.add({
        code: 'ERR_EVIDENCE_BUNDLE_FILE_MALFORMED',
        file: BUNDLE_FILES.records,
        reason: `${passed} of the ${predicate.records} records the manifest counts passed every check`,
      });
    }
    return report({ exporter: by, manifest: predicate }, passed);
  };
  return { records, record: checkRecord, finish };
}
