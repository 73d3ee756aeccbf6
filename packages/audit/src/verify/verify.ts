import type { TrustStore } from '@agentguard/attestation';
import { bytesEqual, toHex } from '@agentguard/statement';
import { LogChecker, splitLines } from './checker.js';
import { LINE_TOO_LARGE, splitByteLines } from './lines.js';
import { publicKeyOfDid } from '../record/envelope.js';
import type { AuditErrorCode } from '../errors.js';
import { openNote, parseCheckpoint, splitNote } from '../checkpoint/note.js';
import { RECORD_MAX_BYTES } from '../record/record.js';

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /**
   * The keys whose signatures anchor the log: a `TrustStore` (`createTrustStore` of
   * `@agentguard/attestation`, the one trust type of the project), or the `did:key`s as text (as read
   * from a trust file, a URL or a worker message). Its keys are read once, when the call starts. Every
   * record (checkpoints included) must be signed by one of them. Without it every check still runs, but
   * the report says `anchored: false`: the log is consistent, yet anyone could have written it.
   * @default none (not anchored)
   */
  readonly trust?: TrustStore | readonly string[];
  /**
   * The log's own keys: the only ones whose checkpoints count. An agent key is trusted to sign its own
   * records (and, through a signer process, a compromised agent can get any record hash signed), so
   * without this a key that may sign records could also rewrite the log and checkpoint the rewrite.
   * Give the log key(s) here whenever agent and log keys differ; each must also be in `trust` when
   * `trust` is given. An external `checkpoint` must be signed by one of them too.
   * @default none (any trusted signer's checkpoints count)
   */
  readonly checkpointKeys?: readonly string[];
  /**
   * A signed checkpoint kept elsewhere (a witness file, an export backend) that
   * the log must still extend: catches a truncated tail, a rewritten history and
   * a fork even when the log's own later checkpoints were removed with it. It
   * must be signed by a trusted key (or, without `trust`, by a signer of the log).
   * @default none
   */
  readonly checkpoint?: string;
  /**
   * Called every 10,000 lines and at the end with the lines checked and the total, for progress on a terminal.
   * @default none
   */
  readonly onProgress?: (checked: number, total: number) => void;
}

/** A log that passed every check. */
export interface LogReportOk {
  readonly ok: true;
  /** Number of records checked (checkpoint records included). */
  readonly records: number;
  /**
   * Number of event records (records that are not checkpoints). A log with none records nothing: an
   * empty or checkpoint-only log verifies, but is no evidence of any call; treat it as unusable input.
   */
  readonly events: number;
  /** Whether every record is signed by a key in `trust` (false when no trust was given). */
  readonly anchored: boolean;
  /** Every distinct signer, in order of first appearance. */
  readonly signers: readonly string[];
  /** `hash` of the last record (the genesis value for an empty log). */
  readonly head: string;
  /** RFC 9162 root hash (hex) of all records. */
  readonly root: string;
  /** Number of checkpoint records, each checked against the tree. */
  readonly checkpoints: number;
  /** The latest checkpoint as a signed note, if the log has one. */
  readonly latestCheckpoint: string | undefined;
  /** Whether the last record is a checkpoint (a log closed cleanly ends with one). */
  readonly sealed: boolean;
  /** Size of the external checkpoint the log was proven to extend, when one was given. */
  readonly extends?: number;
}

/** A log with a bad record: where and what. */
export interface LogReportFailed {
  readonly ok: false;
  /**
   * Number of records, from the first, that are verified: every record before the bad one, except that a batched
   * record no checkpoint before the bad one covered is not (nothing authenticates it), nor is any record after it.
   */
  readonly records: number;
  /**
   * 1-based line number of the first bad record. For a problem with an external
   * checkpoint: the first missing line (truncation), the last line it covers
   * (rewrite, fork), or 0 when the checkpoint itself is bad.
   */
  readonly line: number;
  readonly code: AuditErrorCode;
  /** What is wrong, for a human. */
  readonly reason: string;
}

/** The result of {@link verifyLog}. */
export type LogReport = LogReportOk | LogReportFailed;

/** @internal Validates `checkpointKeys`: did:keys, each in `trust` when trust is given. */
export function checkCheckpointKeys(
  keys: unknown,
  trust: readonly string[] | undefined,
): readonly string[] | undefined {
  if (keys === undefined) return undefined;
  const checked = checkTrust(keys, 'checkpointKeys');
  const outside = trust === undefined ? undefined : checked?.find((k) => !trust.includes(k));
  if (outside !== undefined) {
    throw new TypeError(`"checkpointKeys" expected keys that are also in "trust", got ${outside.slice(0, 80)}`);
  }
  return checked;
}

/**
 * @internal Validates a trust option into one frozen list of did:keys: a `TrustStore` is read once (its
 * `list()`), so keys added or deleted while a log is verified change nothing about that verification.
 */
export function checkTrust(trust: unknown, name = 'trust'): readonly string[] | undefined {
  if (trust === undefined) return undefined;
  const store = trust as Partial<TrustStore> | null;
  const list =
    !Array.isArray(trust) && typeof store === 'object' && store !== null && typeof store.list === 'function'
      ? store.list()
      : trust;
  if (!Array.isArray(list)) throw new TypeError(`"${name}" expected a TrustStore or an array of did:key strings`);
  for (const did of list) {
    if (typeof did !== 'string' || publicKeyOfDid(did) === undefined) {
      throw new TypeError(
        `"${name}" expected Ed25519 did:key strings, got ${JSON.stringify(String(did)).slice(0, 80)}`,
      );
    }
  }
  return Object.freeze([...(list as readonly string[])]);
}

/** Checks that the verified log extends an external signed checkpoint. */
function checkExtends(
  checker: LogChecker,
  note: string,
  trust: readonly string[] | undefined,
  checkpointKeys: readonly string[] | undefined,
): Omit<LogReportFailed, 'ok' | 'records'> | number {
  const bad = (reason: string) => ({ line: 0, code: 'ERR_AUDIT_CHECKPOINT_INVALID' as const, reason });
  const text = splitNote(note)?.text;
  const checkpoint = text === undefined ? undefined : parseCheckpoint(text);
  if (checkpoint === undefined) return bad('external checkpoint is not a signed c2sp.org/tlog-checkpoint note');
  if (checker.origin !== undefined && checkpoint.origin !== checker.origin) {
    return bad(`external checkpoint is for log "${checkpoint.origin}", not this log "${checker.origin}"`);
  }
  // A checkpoint is the log key's word: when the log has checkpoints, only a key that signed them may
  // sign the external one (an agent key that signs records cannot vouch for the log's size and root).
  const logKeys = checker.checkpointSigners;
  const pool = checkpointKeys ?? trust ?? checker.signers;
  const candidates = logKeys.length === 0 ? pool : pool.filter((did) => logKeys.includes(did));
  const signedBy = candidates.find((did) => {
    const key = checker.keyOf(did);
    return key !== undefined && openNote(note, checkpoint.origin, key) !== undefined;
  });
  if (signedBy === undefined) {
    const whose = logKeys.length > 0 ? "the log's checkpoint key" : 'any signer of the log';
    return bad(`external checkpoint is not signed by ${trust === undefined ? whose : `a trusted key (${whose})`}`);
  }
  const size = checker.records;
  if (checkpoint.size > size) {
    return {
      line: size + 1,
      code: 'ERR_AUDIT_TRUNCATED',
      reason: `truncated: the log has ${size} records but a checkpoint signed by the log's key vouches for ${checkpoint.size}; records from line ${size + 1} on were removed`,
    };
  }
  if (!bytesEqual(checker.tree.root(checkpoint.size), checkpoint.root)) {
    const own = checker.lastCheckpoint;
    const forked = own !== undefined && own.size >= checkpoint.size;
    return {
      line: Math.max(checkpoint.size, 1),
      code: 'ERR_AUDIT_FORKED',
      reason: forked
        ? `forked: the log's own checkpoints and the external one commit to different histories of the first ${checkpoint.size} records (root ${toHex(checkpoint.root)}): the log key signed two versions`
        : `rewritten: the first ${checkpoint.size} records are not the ones the external checkpoint commits to (root ${toHex(checkpoint.root)})`,
    };
  }
  return checkpoint.size;
}

/**
 * Verifies a whole log: for every line, strict JSON parsing, the record schema,
 * canonical form, its hash, `seq` and `prev` continuing the chain, its
 * signature, its signer against `trust`, the DSSE envelope inside
 * `call.requested` records, and every checkpoint (origin, size, RFC 9162 root
 * of the records before it, signed-note signature). Stops at the first bad
 * record and names its line. With `checkpoint`, also proves the log extends it.
 *
 * @param text - the log as JSON Lines (every record ends with a newline): its bytes, as read from a file
 *   (preferred: each line is decoded as strict UTF-8, and a line that is not is reported at its number), or
 *   text already decoded.
 * @param options - see {@link VerifyLogOptions}.
 * @returns a {@link LogReport}; a bad log is a returned `{ ok: false }`, never a throw.
 * @throws TypeError when `text` is not a string or bytes, or `trust` holds something other than did:key strings.
 * @example
 * ```ts
 * const report = verifyLog(readFileSync('audit.jsonl'), { trust: [agent.id] });
 * if (!report.ok) console.error(`line ${report.line}: ${report.code} ${report.reason}`);
 * ```
 */
export function verifyLog(text: string | Uint8Array, options: VerifyLogOptions = {}): LogReport {
  const bytes = text instanceof Uint8Array;
  if (typeof text !== 'string' && !bytes)
    throw new TypeError(`"text" expected string or Uint8Array, got ${typeof text}`);
  const trust = checkTrust(options.trust);
  const checkpointKeys = checkCheckpointKeys(options.checkpointKeys, trust);
  if (options.checkpoint !== undefined && typeof options.checkpoint !== 'string') {
    throw new TypeError('"checkpoint" expected the text of a signed note');
  }
  const checker = new LogChecker({ trust, checkpointKeys });
  const { lines, torn }: { lines: readonly (string | Uint8Array)[]; torn: unknown } =
    text instanceof Uint8Array ? splitByteLines(text) : splitLines(text);
  const progress = options.onProgress;
  if (progress !== undefined && typeof progress !== 'function') throw new TypeError('"onProgress" expected a function');
  for (const [i, line] of lines.entries()) {
    const { problem } = typeof line === 'string' ? checker.check(line) : checker.checkBytes(line);
    if (problem !== undefined) return { ok: false, records: checker.verified, line: i + 1, ...problem };
    if (progress !== undefined && (i + 1) % 10_000 === 0) progress(i + 1, lines.length);
  }
  progress?.(lines.length, lines.length);
  return concludeReport(checker, {
    torn: torn !== undefined,
    tornTooLarge: torn !== undefined && utf8Length(torn as string | Uint8Array) > RECORD_MAX_BYTES,
    lines: lines.length,
    trust,
    checkpointKeys,
    checkpoint: options.checkpoint,
  });
}

/** UTF-8 length of a line; exact only where it matters (near or over the record bound). */
function utf8Length(line: string | Uint8Array): number {
  if (line instanceof Uint8Array) return line.length;
  // Each UTF-16 unit is at most 3 UTF-8 bytes: short strings need no encoding to be known small.
  return line.length * 3 <= RECORD_MAX_BYTES ? line.length : new TextEncoder().encode(line).length;
}

/**
 * The end of a verification once every line passed: a torn last line, batched records no checkpoint
 * covers, the external checkpoint, then the summary. Shared by {@link verifyLog} and `verifyLogFile`.
 * @internal
 */
export function concludeReport(
  checker: LogChecker,
  end: {
    torn: boolean;
    /** The torn last line is longer than any record: no torn write of a record the writer made. */
    tornTooLarge?: boolean;
    lines: number;
    trust: readonly string[] | undefined;
    checkpointKeys?: readonly string[] | undefined;
    checkpoint: string | undefined;
  },
): LogReport {
  const { lines, trust } = end;
  // The first problem first: a batched record nothing covers comes before a torn last line.
  const uncovered = checker.uncoveredProblem();
  if (uncovered !== undefined) return { ok: false, records: checker.verified, ...uncovered };
  if (end.tornTooLarge === true) {
    return {
      ok: false,
      records: checker.records,
      line: lines + 1,
      code: 'ERR_AUDIT_RECORD_MALFORMED',
      reason: LINE_TOO_LARGE,
    };
  }
  if (end.torn) {
    return {
      ok: false,
      records: checker.records,
      line: lines + 1,
      code: 'ERR_AUDIT_RECORD_TRUNCATED',
      reason: 'last line has no newline: a torn write or a truncated file',
    };
  }
  let extendsSize: number | undefined;
  if (end.checkpoint !== undefined) {
    const result = checkExtends(checker, end.checkpoint, trust, end.checkpointKeys);
    if (typeof result !== 'number') return { ok: false, records: checker.verified, ...result };
    extendsSize = result;
  }
  return {
    ok: true,
    records: checker.records,
    events: checker.events,
    anchored: trust !== undefined && trust.length > 0,
    signers: [...checker.signers],
    head: checker.head,
    root: toHex(checker.tree.root()),
    checkpoints: checker.checkpoints,
    latestCheckpoint: checker.lastCheckpoint?.note,
    sealed: checker.lastType === 'checkpoint',
    ...(extendsSize === undefined ? {} : { extends: extendsSize }),
  };
}
