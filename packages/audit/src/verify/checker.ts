import { verify } from '@agentguard/identity';
import {
  bytesEqual,
  canonicalHasProtoMember,
  fromBase64,
  parseJson,
  StatementError,
  toHex,
  utf8,
} from '@agentguard/statement';
import { checkEnvelope, publicKeyOfDid } from '../record/envelope.js';
import type { AuditErrorCode } from '../errors.js';
import { decodeLine, LINE_NOT_UTF8, LINE_TOO_LARGE } from './lines.js';
import type { ResumeState } from '../log/log.js';
import { MerkleTree, textHashes } from '../tree/merkle.js';
import { isValidKeyName, joinNote, noteKeyId, parseCheckpoint } from '../checkpoint/note.js';
import { quickRecord } from '../record/check.js';
import {
  RECORD_MAX_BYTES,
  RECORD_MAX_DEPTH,
  recordForms,
  recordSigningBytes,
  SigningBytes,
  UNHASHED_FIELDS,
} from '../record/record.js';
import {
  type AuditRecord,
  AuditRecordSchema,
  type CheckpointRecord,
  describeIssue,
  GENESIS_HASH,
} from '../record/schema.js';

/** A problem found in one line. */
export interface LineProblem {
  readonly code: AuditErrorCode;
  readonly reason: string;
}

type Result = { problem: LineProblem; record?: undefined } | { problem?: undefined; record: AuditRecord };

const fail = (code: AuditErrorCode, reason: string): Result => ({ problem: { code, reason } });

/**
 * Checks one Ed25519 signature; returns false when it does not verify. `problem` is what the line is
 * reported with if it does not: a checker that defers signatures to worker threads keeps it and
 * returns true, and the caller reports the earliest failing line once the workers answer.
 */
export type SignatureCheck = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  problem: LineProblem,
) => boolean;

const verifyNow: SignatureCheck = (signature, message, publicKey) => verify(signature, message, publicKey);

/**
 * Checks a log line by line, keeping what the next line must continue: the
 * chain head, the Merkle tree, the origin and latest checkpoint. Internal.
 */
export class LogChecker {
  records = 0;
  /** Event records (every record that is not a checkpoint). */
  events = 0;
  head = GENESIS_HASH;
  readonly tree = new MerkleTree();
  readonly signers: string[] = [];
  /** Every distinct signer of a checkpoint record, in order of first appearance. */
  readonly checkpointSigners: string[] = [];
  origin: string | undefined;
  checkpoints = 0;
  lastCheckpoint: { size: number; note: string; signer: string } | undefined;
  lastType: string | undefined;
  /**
   * The first batched (unsigned) record not yet covered by a checkpoint. Every later uncovered batched
   * record must name the same signer: the one checkpoint that covers them all must be by that key.
   */
  uncovered: { seq: number; signer: string } | undefined;
  /** Each run of batched records a checkpoint covered: its first seq, and the seq of that checkpoint. */
  private readonly coveredRuns: { from: number; coveredAt: number }[] = [];
  /** What the checker was just before {@link uncovered}'s record, so that the records from it on can be dropped. */
  private beforeUncovered: { head: string; events: number; lastType: string | undefined } | undefined;
  private readonly seen = new Set<string>();
  private readonly keys = new Map<string, Uint8Array | undefined>();
  private readonly trust: ReadonlySet<string> | undefined;
  private readonly checkpointKeys: ReadonlySet<string> | undefined;
  /** Record signatures (and the envelopes in records) are checked when true; checkpoint signatures unless false. */
  private readonly signatures: boolean;
  private readonly checkpointSignatures: boolean;
  private readonly verifySignature: SignatureCheck;
  /** Set when signatures are checked at once ({@link verifyNow}): a buffer for what each record signature covers. */
  private readonly signingBytes: SigningBytes | undefined;

  constructor(options: {
    trust?: readonly string[] | undefined;
    /** When given, only these keys may sign checkpoints (the log's keys, never an agent's). */
    checkpointKeys?: readonly string[] | undefined;
    /**
     * Which signatures are checked: all (true, the default), none (false), or only checkpoints' (`'checkpoints'`:
     * what a writer reopening its log needs, since a checkpoint it took for valid would let its own next
     * checkpoint vouch for the batched records before it; a record with a bad signature of its own is still
     * found by any verifier).
     */
    signatures?: boolean | 'checkpoints';
    /** How signatures are checked: at once by default, or deferred (see {@link SignatureCheck}). */
    verify?: SignatureCheck;
  }) {
    this.trust = options.trust === undefined ? undefined : new Set(options.trust);
    this.checkpointKeys = options.checkpointKeys === undefined ? undefined : new Set(options.checkpointKeys);
    this.signatures = options.signatures === undefined || options.signatures === true;
    this.checkpointSignatures = options.signatures !== false;
    this.verifySignature = options.verify ?? verifyNow;
    this.signingBytes = options.verify === undefined ? new SigningBytes() : undefined;
  }

  keyOf = (did: string): Uint8Array | undefined => {
    if (!this.keys.has(did)) this.keys.set(did, publicKeyOfDid(did));
    return this.keys.get(did);
  };

  /**
   * Records read so far that are authenticated: all of them, but for batched records no checkpoint covers yet
   * (and whatever follows the first of them), which nothing vouches for until one does.
   */
  get verified(): number {
    return this.uncovered?.seq ?? this.records;
  }

  /**
   * How many records before `seq` are authenticated once the log is found bad at `seq` (for a checker that read on
   * past it, its signature checked later): none from a batched record that no checkpoint before `seq` covered.
   */
  verifiedBefore(seq: number): number {
    const open = this.uncovered;
    if (open !== undefined && open.seq < seq) return open.seq;
    for (const run of this.coveredRuns) if (run.from < seq && run.coveredAt >= seq) return run.from;
    return seq;
  }

  /** Why the log cannot end here: a batched record no checkpoint covers (its line is its seq + 1). */
  uncoveredProblem(): (LineProblem & { readonly line: number }) | undefined {
    const first = this.uncovered;
    if (first === undefined) return undefined;
    return {
      line: first.seq + 1,
      code: 'ERR_AUDIT_SIGNATURE_INVALID',
      reason: `record seq ${first.seq} is batched (unsigned) and no checkpoint after it covers it: nothing authenticates it yet`,
    };
  }

  /**
   * Moves the checker back to just before the first batched record no checkpoint covers, as if it and every record
   * after it had never been read (for a writer that sets them aside). No checkpoint follows that record (one by its
   * signer would have covered it, and one by another key is refused), so the checkpoint state stands. The signers
   * seen stay listed: nothing that continues the log reads them.
   */
  dropUncovered(): void {
    const first = this.uncovered;
    const before = this.beforeUncovered;
    if (first === undefined || before === undefined) return;
    this.tree.truncate(first.seq);
    this.records = first.seq;
    this.head = before.head;
    this.events = before.events;
    this.lastType = before.lastType;
    this.uncovered = undefined;
    this.beforeUncovered = undefined;
  }

  /** Where the checked log left off, to continue appending to it. */
  state(): ResumeState {
    const checkpoint = this.lastCheckpoint;
    if (this.uncovered !== undefined) {
      // A log continued from here would cover these records with a checkpoint of its own (see UncoveredTail).
      throw new TypeError(
        `record seq ${this.uncovered.seq} is batched and no checkpoint covers it: set it aside before continuing the log`,
      );
    }
    return {
      records: this.records,
      head: this.head,
      tree: this.tree,
      checkpoint: checkpoint === undefined ? undefined : { size: checkpoint.size, note: checkpoint.note },
      origin: this.origin,
    };
  }

  /**
   * Checks one line given as bytes (without its newline): its size, then strict UTF-8, then {@link check}.
   * Every reader of log bytes comes through here, so a byte that is not UTF-8 is reported at its line.
   */
  checkBytes(bytes: Uint8Array): Result {
    if (bytes.length > RECORD_MAX_BYTES) return fail('ERR_AUDIT_RECORD_MALFORMED', LINE_TOO_LARGE);
    const line = decodeLine(bytes);
    if (line === undefined) return fail('ERR_AUDIT_RECORD_MALFORMED', LINE_NOT_UTF8);
    return this.check(line);
  }

  /** Checks one line (without its newline); on success the checker moves past it. */
  check(line: string): Result {
    if (line.length === 0) return fail('ERR_AUDIT_RECORD_MALFORMED', 'empty line');
    const read = readCanonical(line) ?? readAny(line);
    if ('problem' in read) return read;
    const { record, body } = read;
    const { hex: hash, leaf } = textHashes(body);
    if (hash !== record.hash) {
      return fail(
        'ERR_AUDIT_HASH_MISMATCH',
        `record content does not match its hash: record seq ${record.seq} was changed`,
      );
    }
    if (record.seq !== this.records) {
      const what = record.seq > this.records ? 'records missing' : 'records reordered or repeated';
      return fail('ERR_AUDIT_CHAIN_BROKEN', `${what}: expected seq ${this.records}, found ${record.seq}`);
    }
    if (record.prev !== this.head) {
      return fail(
        'ERR_AUDIT_CHAIN_BROKEN',
        `prev does not match the hash of the record before: chain broken at seq ${record.seq}`,
      );
    }
    const key = this.keyOf(record.signer);
    if (key === undefined)
      return fail('ERR_AUDIT_RECORD_MALFORMED', `signer ${record.signer} is not an Ed25519 did:key`);
    if (record.sig === undefined) {
      // A batched record: authenticated only once a later checkpoint by its signer covers it. The
      // checkpoint that covers it covers every uncovered batched record, so they must all name one key.
      const first = this.uncovered;
      if (first === undefined) {
        this.uncovered = { seq: record.seq, signer: record.signer };
        this.beforeUncovered = { head: this.head, events: this.events, lastType: this.lastType };
      } else if (first.signer !== record.signer) {
        return fail(
          'ERR_AUDIT_SIGNATURE_INVALID',
          `record seq ${record.seq} is batched (unsigned) and names ${record.signer}, but batched record seq ${first.seq}, which the same checkpoint must cover, names ${first.signer}: no one checkpoint authenticates both`,
        );
      }
    } else if (this.signatures) {
      if (this.signingBytes !== undefined) {
        // Checked at once: the message may live in the one reused buffer, and the problem is made only if needed.
        if (!verify(fromBase64(record.sig), this.signingBytes.of(hash), key))
          return { problem: signatureProblem(record) };
      } else {
        const problem = signatureProblem(record);
        if (!this.verifySignature(fromBase64(record.sig), recordSigningBytes(hash), key, problem)) return { problem };
      }
    }
    if (this.trust !== undefined && !this.trust.has(record.signer)) {
      return fail(
        'ERR_AUDIT_UNTRUSTED_SIGNER',
        `record seq ${record.seq} is signed by ${record.signer}, which is not trusted`,
      );
    }
    if (record.type === 'checkpoint') {
      const problem = this.checkCheckpoint(record, key);
      if (problem !== undefined)
        return fail('ERR_AUDIT_CHECKPOINT_INVALID', `checkpoint seq ${record.seq}: ${problem}`);
    } else if (this.signatures && record.type === 'call.requested' && record.data?.envelope !== undefined) {
      const seq = record.seq;
      const data = record.data;
      const binding = {
        callId: record.callId,
        tool: record.tool,
        agent: record.agent,
        // The envelope binds the args as the agent sent them; the record names their digest `inputDigest` when the
        // tool's schema changed them (argsDigest is then the digest of the value that ran).
        argsDigest: data.inputDigest ?? data.argsDigest,
      };
      const problem = checkEnvelope(data.envelope, binding, this.keyOf, (sig, message, key, reason) =>
        this.verifySignature(sig, message, key, {
          code: 'ERR_AUDIT_ENVELOPE_INVALID',
          reason: `record seq ${seq}: ${reason}`,
        }),
      );
      if (problem !== undefined) return fail('ERR_AUDIT_ENVELOPE_INVALID', `record seq ${record.seq}: ${problem}`);
    }
    this.tree.append(leaf);
    this.records += 1;
    if (record.type !== 'checkpoint') this.events += 1;
    this.head = hash;
    this.lastType = record.type;
    if (!this.seen.has(record.signer)) {
      this.seen.add(record.signer);
      this.signers.push(record.signer);
    }
    return { record };
  }

  private checkCheckpoint(record: CheckpointRecord, key: Uint8Array): string | undefined {
    // A key that may sign records (an agent's) must not be able to anchor a log it rewrote: checkpoints
    // count only from the log's own keys, when the verifier names them.
    if (this.checkpointKeys !== undefined && !this.checkpointKeys.has(record.signer)) {
      return `checkpoint is signed by ${record.signer}, which is not one of the log keys given`;
    }
    const origin = record.note.slice(0, Math.max(record.note.indexOf('\n'), 0));
    if (!isValidKeyName(origin)) {
      return `origin ${JSON.stringify(origin.slice(0, 80))} is not a C2SP key name (printable ASCII, no spaces or "+")`;
    }
    const checkpoint = parseCheckpoint(record.note);
    if (checkpoint === undefined) return 'note is not a c2sp.org/tlog-checkpoint body';
    if (this.origin !== undefined && checkpoint.origin !== this.origin) {
      return `origin "${checkpoint.origin}" differs from the log's "${this.origin}"`;
    }
    if (checkpoint.size !== record.seq) return `size ${checkpoint.size} is not the ${record.seq} records before it`;
    if (!bytesEqual(checkpoint.root, this.tree.root(checkpoint.size))) {
      return `root ${toHex(checkpoint.root)} is not the Merkle root of the records before it`;
    }
    // Exactly the one extension line the writer writes: nothing unbound rides along in a signed checkpoint.
    if (checkpoint.extensions.length !== 1 || checkpoint.extensions[0] !== `time ${record.ts}`) {
      return 'extension lines are not exactly the time line of the record';
    }
    const blob = fromBase64(record.noteSig);
    if (!bytesEqual(blob.slice(0, 4), noteKeyId(checkpoint.origin, key)))
      return 'note signature key id is not the signer';
    if (
      this.checkpointSignatures &&
      !this.verifySignature(blob.slice(4), utf8(record.note), key, {
        code: 'ERR_AUDIT_CHECKPOINT_INVALID',
        reason: `checkpoint seq ${record.seq}: note signature does not verify`,
      })
    ) {
      return 'note signature does not verify';
    }
    if (this.uncovered !== undefined && this.uncovered.signer !== record.signer) {
      return `batched record seq ${this.uncovered.seq} names ${this.uncovered.signer} but this checkpoint is by ${record.signer}`;
    }
    if (this.uncovered !== undefined) this.coveredRuns.push({ from: this.uncovered.seq, coveredAt: record.seq });
    this.uncovered = undefined;
    this.beforeUncovered = undefined;
    if (!this.checkpointSigners.includes(record.signer)) this.checkpointSigners.push(record.signer);
    this.origin = checkpoint.origin;
    this.checkpoints += 1;
    this.lastCheckpoint = {
      size: checkpoint.size,
      note: joinNote(record.note, checkpoint.origin, record.noteSig),
      signer: record.signer,
    };
    return undefined;
  }
}

/** How a record whose signature does not verify is reported. */
function signatureProblem(record: AuditRecord): LineProblem {
  return {
    code: 'ERR_AUDIT_SIGNATURE_INVALID',
    reason: `signature of record seq ${record.seq} does not verify under ${record.signer}`,
  };
}

const PARSE_LIMITS = Object.freeze({ maxDepth: RECORD_MAX_DEPTH, maxBytes: RECORD_MAX_BYTES });

/**
 * The usual line, read fast: the built-in `JSON.parse` (several times faster than the strict parser), plainly a
 * record, then its canonical form compared with the line. A line equal to the canonical form of what it parses to is
 * canonical JSON, so it is exactly a line the strict parser reads, to the same value: a duplicate member, an escape,
 * a space, a number written another way or a key out of order makes the two differ; a lone surrogate, a non-finite
 * number or too deep a nesting cannot be written; and a `__proto__` member (which `JSON.parse` makes an own property)
 * is looked for in the canonical text. Undefined for anything else, which {@link readAny} then reads and words the
 * problem of: both give the same record and body for a line this one reads (a property test holds them to it).
 *
 * The canonical form is written by the built-in `JSON.stringify` when every object's members are already in RFC 8785
 * order (checked, down to the depth limit) and the line holds no escaped surrogate: RFC 8785 writes strings and
 * numbers as `JSON.stringify` does (§3.2.2), so the two texts could then differ only in a lone surrogate, which
 * `JSON.stringify` writes as an escape and RFC 8785 refuses. Otherwise (an integer-like key, which `JSON.parse`
 * enumerates first; a possible lone surrogate) it is written member by member by `recordForms`, which refuses what
 * RFC 8785 cannot write.
 */
/** @internal A line in canonical form, read fast; undefined for any other line. */
export function readCanonical(line: string): { record: AuditRecord; body: string } | undefined {
  // The size limit is in UTF-8 bytes, up to three per UTF-16 unit: a line that might be over it is left to the
  // strict reader, which measures it exactly (and a line that long is rare).
  if (line.length * 3 > RECORD_MAX_BYTES || canonicalHasProtoMember(line)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  // quickRecord checks every member of the value (it refuses any it does not know) and copies them.
  const record = quickRecord(value);
  if (record === undefined) return undefined;
  let forms: { line: string; body: string };
  try {
    forms =
      !ESCAPED_SURROGATE.test(line) && inCanonicalOrder(value, 1)
        ? builtInForms(value as Record<string, unknown>)
        : recordForms(record);
  } catch {
    return undefined;
  }
  if (forms.line !== line) return undefined;
  // The objects inside `data` as the strict parser makes them: with no prototype, so nothing inherited
  // (`constructor`, `toString`) can be read as data. `data` itself is quickRecord's copy, as on the strict path.
  const data = (record as { data?: Record<string, unknown> }).data;
  if (data !== undefined) for (const key in data) withoutPrototypes(data[key]);
  return { record, body: forms.body };
}

/**
 * The line and body of a parsed record whose members are all in canonical order: the line by `JSON.stringify`, the
 * body cut from it. `hash`, `sig` and `noteSig` are top-level strings that quickRecord has checked to need no escape,
 * so each is one `"name":"value"` run of the line, and the last one: only `data` holds members of its own, and it
 * sorts before all three; nothing after them holds a member, and a string cannot hold an unescaped quote.
 */
function builtInForms(value: Record<string, unknown>): { line: string; body: string } {
  const line = JSON.stringify(value);
  let body = line;
  for (const name of UNHASHED_FIELDS) {
    const text = value[name];
    if (typeof text !== 'string') continue;
    const member = `"${name}":"${text}"`;
    const at = body.lastIndexOf(member);
    // With a comma before it (any member but the first), or after it (the first).
    body =
      body.charCodeAt(at - 1) === COMMA
        ? body.slice(0, at - 1) + body.slice(at + member.length)
        : body.slice(0, at) + body.slice(at + member.length + 1);
  }
  return { line, body };
}

const COMMA = 0x2c;

/**
 * `\u` then a surrogate's hex: maybe an escaped lone surrogate, which `JSON.stringify` writes back the same way and
 * RFC 8785 refuses (it also matches an escaped backslash followed by such text, which `recordForms` then writes). A
 * raw lone surrogate needs no check: `JSON.stringify` writes it as an escape, so the texts differ.
 */
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;

/**
 * Whether every object in `value` (fresh from `JSON.parse`) has its members in RFC 8785 order: by UTF-16 code units,
 * as `<` compares strings, and so also no integer-like key out of it (`JSON.stringify` writes those first). False
 * past the record depth limit, so nothing deeper is walked or stringified here.
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth > RECORD_MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!inCanonicalOrder(item, depth + 1)) return false;
    return true;
  }
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!inCanonicalOrder((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/** Gives every object in `value` (fresh from JSON.parse, and bounded in depth by the canonical form) a null prototype. */
function withoutPrototypes(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) withoutPrototypes(item);
    return;
  }
  Object.setPrototypeOf(value, null);
  for (const key in value) withoutPrototypes((value as Record<string, unknown>)[key]);
}

/** @internal Any line: strict parse, the record schema, then its canonical form compared with the line. */
export function readAny(line: string): { record: AuditRecord; body: string } | { problem: LineProblem } {
  const malformed = (reason: string) => ({ problem: { code: 'ERR_AUDIT_RECORD_MALFORMED' as const, reason } });
  let value: unknown;
  try {
    value = parseJson(line, PARSE_LIMITS);
  } catch (error) {
    const detail = error instanceof StatementError ? error.message : String(error);
    return malformed(`not a JSON record: ${detail}`);
  }
  let record = quickRecord(value);
  if (record === undefined) {
    const parsed = AuditRecordSchema.safeParse(value);
    if (!parsed.success) {
      return malformed(`not a valid record: ${describeIssue(parsed.error)}`);
    }
    record = parsed.data;
  }
  const forms = recordForms(record);
  if (forms.line !== line) {
    return malformed('record is not in canonical (RFC 8785) form: it was re-encoded or edited');
  }
  return { record, body: forms.body };
}

/** Splits JSON Lines text; `torn` is a last line without a newline. */
export function splitLines(text: string): { lines: string[]; torn: string | undefined } {
  if (text.length === 0) return { lines: [], torn: undefined };
  const lines = text.split('\n');
  const last = lines.pop() as string;
  return { lines, torn: last.length === 0 ? undefined : last };
}
