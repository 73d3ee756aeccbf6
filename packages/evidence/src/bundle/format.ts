/**
 * The files of an evidence bundle and their formats. See docs/evidence-bundle.md.
 */
import { Buffer } from 'node:buffer';
import { didToPublicKey, publicKeyToDid } from '@agentguard/identity';
import { toBase64 } from '@agentguard/statement';
import { z } from 'zod';

/** Predicate type of a bundle manifest (an in-toto Statement v1 in a DSSE envelope). */
export const BUNDLE_PREDICATE_TYPE = 'https://agentguard.dev/evidence/bundle/v1';

/** The file names of a bundle. Policies, credentials and revocation lists live under their directories by hash. */
export const BUNDLE_FILES = Object.freeze({
  manifest: 'manifest.json',
  records: 'records.jsonl',
  proofs: 'proofs.jsonl',
  checkpoint: 'checkpoint.txt',
  latest: 'latest.txt',
  consistency: 'consistency.json',
  keys: 'keys.json',
} as const);

/** Directories of content-addressed files: `<dir>/<sha256 hex>.json`. */
export const BUNDLE_DIRS = Object.freeze(['policies', 'credentials', 'revocations'] as const);

/** Most files a bundle holds (the manifest lists each as an in-toto subject). */
export const MAX_BUNDLE_FILES = 1000;
/** Largest file of a bundle, bytes (`records.jsonl` and `proofs.jsonl` of a long incident). */
export const MAX_BUNDLE_FILE_BYTES = 1024 * 1024 * 1024;
/** Largest manifest envelope, bytes. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** A content-addressed name: `policies/<64 hex>.json`. */
export const CONTENT_FILE = /^(policies|credentials|revocations)\/([0-9a-f]{64})\.json$/;

const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
const HASH_B64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** An inclusion proof in c2sp.org/tlog-proof form. */
export interface TlogProof {
  readonly index: number;
  readonly hashes: readonly Uint8Array[];
  /** The checkpoint as a signed note. */
  readonly checkpoint: string;
}

/**
 * Formats a c2sp.org/tlog-proof: the header line, `index <n>`, one base64 hash per line, an empty line, and the
 * signed checkpoint note the proof is against.
 */
export function formatTlogProof(proof: TlogProof): string {
  const lines = [TLOG_PROOF_HEADER, `index ${proof.index}`, ...proof.hashes.map((h) => toBase64(h))];
  return `${lines.join('\n')}\n\n${proof.checkpoint}`;
}

// Proofs of neighbouring records share most of their hashes: each distinct line is decoded once (a bounded cache).
const decoded = new Map<string, Uint8Array>();

/** Canonical base64 of 32 bytes (43 characters, the last carrying 4 bits, then '='), or undefined. */
function decodeHash(line: string): Uint8Array | undefined {
  const known = decoded.get(line);
  if (known !== undefined) return known;
  if (line.length !== 44 || !HASH_B64.test(line)) return undefined;
  const bytes = Buffer.from(line, 'base64');
  if (decoded.size >= 4096) decoded.clear();
  decoded.set(line, bytes);
  return bytes;
}

/** Parses a c2sp.org/tlog-proof; undefined when it is not one. An `extra` line is read and ignored. */
export function parseTlogProof(text: string): TlogProof | undefined {
  const proof = readTlogProof(text);
  return proof === undefined ? undefined : { ...proof, hashes: proof.hashes.map((h) => h.slice()) };
}

/**
 * {@link parseTlogProof} whose hashes may be shared with other proofs read before (never to be changed).
 * @internal
 */
export function readTlogProof(text: string): TlogProof | undefined {
  if (typeof text !== 'string') return undefined;
  const split = text.indexOf('\n\n');
  if (split < 0) return undefined;
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);
  if (lines[0] !== TLOG_PROOF_HEADER) return undefined;
  let at = 1;
  if (lines[at]?.startsWith('extra ') === true) at++;
  const index = /^index (0|[1-9][0-9]{0,15})$/.exec(lines[at] ?? '');
  if (index === null || !Number.isSafeInteger(Number(index[1]))) return undefined;
  const hashes: Uint8Array[] = [];
  for (const line of lines.slice(at + 1)) {
    const hash = decodeHash(line);
    if (hash === undefined) return undefined;
    hashes.push(hash);
  }
  if (hashes.length > 64) return undefined;
  return { index: Number(index[1]), hashes, checkpoint };
}

const iso = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected RFC 3339 UTC with milliseconds');
// A did:key that only looks like one (another multicodec, a bad checksum of base58) names no key: each must decode
// to an Ed25519 public key and be written in its one canonical form.
const did = z
  .string()
  .regex(/^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/, 'expected an Ed25519 did:key')
  .refine(isEd25519DidKey, 'expected an Ed25519 did:key');

function isEd25519DidKey(value: string): boolean {
  try {
    return publicKeyToDid(didToPublicKey(value)) === value;
  } catch {
    return false;
  }
}
const policyRef = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const treeHead = z.strictObject({ size: count, root: z.string().regex(/^[A-Za-z0-9+/]{43}=$/) });

/** The manifest's predicate: what the bundle claims, signed by the exporter. */
export const bundlePredicateSchema = z.strictObject({
  exportedAt: iso,
  exporter: did,
  /** The log's origin, from its checkpoints. */
  origin: z.string().min(1).max(256),
  filters: z.strictObject({
    agent: did.nullable(),
    from: iso.nullable(),
    to: iso.nullable(),
  }),
  /** Number of records in `records.jsonl`. */
  records: count,
  /** The checkpoint every inclusion proof is against. */
  checkpoint: treeHead,
  /** The newest checkpoint of the log at export, which `consistency.json` proves extends `checkpoint`. */
  latest: treeHead,
  /** Policy hashes the records name, and which of them the bundle holds no policy for. */
  policies: z.array(policyRef).max(MAX_BUNDLE_FILES),
  missingPolicies: z.array(policyRef).max(MAX_BUNDLE_FILES),
});

/** The manifest's predicate. */
export type BundlePredicate = z.infer<typeof bundlePredicateSchema>;

/** `keys.json`: the keys in force at export. */
export const bundleKeysSchema = z.strictObject({
  /** Keys trusted to sign records (agents, the log key). */
  trust: z.array(did).min(1).max(MAX_BUNDLE_FILES),
  /** The log's own keys: the only keys whose checkpoints count. */
  checkpointKeys: z.array(did).min(1).max(MAX_BUNDLE_FILES),
});

/** `consistency.json`: an RFC 9162 consistency proof between the two checkpoints. */
export const consistencySchema = z.strictObject({
  size1: count,
  size2: count,
  proof: z.array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/)).max(128),
});
