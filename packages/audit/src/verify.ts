import { fromBase64, IdentityError, parseJson, verify } from '@agentguard/identity';
import { checkEnvelope, publicKeyOfDid } from './envelope.js';
import type { AuditErrorCode } from './errors.js';
import { bodyOf, hashBody, RECORD_MAX_BYTES, RECORD_MAX_DEPTH, recordLine, recordSigningBytes } from './record.js';
import { type AuditRecord, AuditRecordSchema, describeIssue, GENESIS_HASH } from './schema.js';

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /**
   * The `did:key`s whose signatures anchor the log. Every record must be signed
   * by one of them. Without it every check still runs, but the report says
   * `anchored: false`: the log is consistent, yet anyone could have written it.
   * @default none (not anchored)
   */
  readonly trust?: readonly string[];
}

/** A log that passed every check. */
export interface LogReportOk {
  readonly ok: true;
  /** Number of records checked. */
  readonly records: number;
  /** Whether every record is signed by a key in `trust` (false when no trust was given). */
  readonly anchored: boolean;
  /** Every distinct signer, in order of first appearance. */
  readonly signers: readonly string[];
  /** `hash` of the last record (the genesis value for an empty log). */
  readonly head: string;
}

/** A log with a bad record: where and what. */
export interface LogReportFailed {
  readonly ok: false;
  /** Number of records before the bad one that passed every check. */
  readonly records: number;
  /** 1-based line number of the first bad record. */
  readonly line: number;
  readonly code: AuditErrorCode;
  /** What is wrong, for a human. */
  readonly reason: string;
}

/** The result of {@link verifyLog}. */
export type LogReport = LogReportOk | LogReportFailed;

/** A problem found in one line. */
export interface LineProblem {
  readonly code: AuditErrorCode;
  readonly reason: string;
}

/** Checks a log line by line, keeping what the next line must continue. Internal. */
export class LogChecker {
  records = 0;
  head = GENESIS_HASH;
  readonly signers: string[] = [];
  private readonly seen = new Set<string>();
  private readonly keys = new Map<string, Uint8Array | undefined>();
  private readonly trust: ReadonlySet<string> | undefined;
  private readonly signatures: boolean;

  constructor(options: {
    trust?: readonly string[] | undefined;
    signatures?: boolean;
    start?: { records: number; head: string };
  }) {
    this.trust = options.trust === undefined ? undefined : new Set(options.trust);
    this.signatures = options.signatures ?? true;
    if (options.start !== undefined) {
      this.records = options.start.records;
      this.head = options.start.head;
    }
  }

  keyOf = (did: string): Uint8Array | undefined => {
    if (!this.keys.has(did)) this.keys.set(did, publicKeyOfDid(did));
    return this.keys.get(did);
  };

  /** Checks one line (without its newline); on success the checker moves past it. */
  check(line: string): { problem: LineProblem; record?: undefined } | { problem?: undefined; record: AuditRecord } {
    const fail = (code: AuditErrorCode, reason: string) => ({ problem: { code, reason } });
    if (line.length === 0) return fail('ERR_AUDIT_RECORD_MALFORMED', 'empty line');
    let value: unknown;
    try {
      value = parseJson(line, { maxDepth: RECORD_MAX_DEPTH, maxBytes: RECORD_MAX_BYTES });
    } catch (error) {
      const detail = error instanceof IdentityError ? error.message : String(error);
      return fail('ERR_AUDIT_RECORD_MALFORMED', `not a JSON record: ${detail}`);
    }
    const parsed = AuditRecordSchema.safeParse(value);
    if (!parsed.success)
      return fail('ERR_AUDIT_RECORD_MALFORMED', `not a valid record: ${describeIssue(parsed.error)}`);
    const record = parsed.data;
    if (recordLine(record) !== line) {
      return fail(
        'ERR_AUDIT_RECORD_MALFORMED',
        'record is not in canonical (RFC 8785) form: it was re-encoded or edited',
      );
    }
    const hash = hashBody(bodyOf(record));
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
    if (this.signatures && !verify(fromBase64(record.sig), recordSigningBytes(hash), key)) {
      return fail(
        'ERR_AUDIT_SIGNATURE_INVALID',
        `signature of record seq ${record.seq} does not verify under ${record.signer}`,
      );
    }
    if (this.trust !== undefined && !this.trust.has(record.signer)) {
      return fail(
        'ERR_AUDIT_UNTRUSTED_SIGNER',
        `record seq ${record.seq} is signed by ${record.signer}, which is not trusted`,
      );
    }
    if (this.signatures && record.type === 'call.requested' && record.data?.envelope !== undefined) {
      const problem = checkEnvelope(record.data.envelope, record.agent, this.keyOf);
      if (problem !== undefined) return fail('ERR_AUDIT_ENVELOPE_INVALID', `record seq ${record.seq}: ${problem}`);
    }
    this.records += 1;
    this.head = hash;
    if (!this.seen.has(record.signer)) {
      this.seen.add(record.signer);
      this.signers.push(record.signer);
    }
    return { record };
  }
}

/** Splits JSON Lines text; the last element is a torn line when the text does not end with a newline. */
export function splitLines(text: string): { lines: string[]; torn: string | undefined } {
  if (text.length === 0) return { lines: [], torn: undefined };
  const lines = text.split('\n');
  const last = lines.pop() as string;
  return { lines, torn: last.length === 0 ? undefined : last };
}

function checkTrust(trust: unknown): readonly string[] | undefined {
  if (trust === undefined) return undefined;
  if (!Array.isArray(trust)) throw new TypeError('"trust" expected an array of did:key strings');
  for (const did of trust) {
    if (typeof did !== 'string' || publicKeyOfDid(did) === undefined) {
      throw new TypeError(`"trust" expected Ed25519 did:key strings, got ${JSON.stringify(String(did)).slice(0, 80)}`);
    }
  }
  return trust as readonly string[];
}

/**
 * Verifies a whole log: for every line, strict JSON parsing, the record schema,
 * canonical form, its hash, `seq` and `prev` continuing the chain, its
 * signature, its signer against `trust`, and the DSSE envelope inside
 * `call.requested` records. Stops at the first bad record and names its line.
 *
 * @param text - the log as JSON Lines (every record ends with a newline).
 * @param options - see {@link VerifyLogOptions}.
 * @returns a {@link LogReport}; a bad log is a returned `{ ok: false }`, never a throw.
 * @throws TypeError when `text` is not a string or `trust` holds something other than did:key strings.
 * @example
 * ```ts
 * const report = verifyLog(readFileSync('audit.jsonl', 'utf8'), { trust: [agent.id] });
 * if (!report.ok) console.error(`line ${report.line}: ${report.code} ${report.reason}`);
 * ```
 */
export function verifyLog(text: string, options: VerifyLogOptions = {}): LogReport {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`);
  const trust = checkTrust(options.trust);
  const checker = new LogChecker({ trust });
  const { lines, torn } = splitLines(text);
  for (const [i, line] of lines.entries()) {
    const { problem } = checker.check(line);
    if (problem !== undefined) return { ok: false, records: checker.records, line: i + 1, ...problem };
  }
  if (torn !== undefined) {
    return {
      ok: false,
      records: checker.records,
      line: lines.length + 1,
      code: 'ERR_AUDIT_RECORD_TRUNCATED',
      reason: 'last line has no newline: a torn write or a truncated file',
    };
  }
  return {
    ok: true,
    records: checker.records,
    anchored: trust !== undefined && trust.length > 0,
    signers: [...checker.signers],
    head: checker.head,
  };
}
