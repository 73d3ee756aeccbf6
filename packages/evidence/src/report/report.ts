import type { VerifyLogOptions } from '@agentguard/audit';
import { type LogSegment, readFacts } from './read.js';
import { CONTROLS } from './regimes.js';
import type { RotationSettings } from './retention.js';
import { type ComplianceReport, type ControlReport, REPORT_REGIMES, type ReportRegime } from './types.js';

/** Options of {@link createComplianceReport}. */
export interface ComplianceReportOptions {
  /** The regime whose controls are computed. */
  readonly regime: ReportRegime;
  /**
   * The keys that anchor the log (agents and the log key), as for `verifyLog`. Without it the log is still
   * verified, but the integrity controls say it is not anchored.
   * @default none
   */
  readonly trust?: VerifyLogOptions['trust'];
  /**
   * The log's own keys: the only ones whose checkpoints count (see `verifyLog`).
   * @default none
   */
  readonly checkpointKeys?: readonly string[];
  /**
   * A signed checkpoint kept elsewhere that the log must extend (catches a removed tail).
   * @default none
   */
  readonly checkpoint?: string;
  /**
   * The instant the report is computed for, in epoch ms: retention periods are counted back from it. Never
   * the wall clock, so the same log gives the same report.
   * @default the time of the newest record that verifies (0 for a log without one)
   */
  readonly nowMs?: number;
  /**
   * The rotation settings of the log's directory, reported beside the retention controls.
   * @default none
   */
  readonly rotation?: RotationSettings;
}

/** Latest instant a record can carry (9999-12-31T23:59:59.999Z), and so a report. */
const MAX_MS = 253_402_300_799_999;

function checkOptions(options: ComplianceReportOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  if (!(REPORT_REGIMES as readonly unknown[]).includes(options.regime)) {
    throw new RangeError(
      `"regime" expected one of ${REPORT_REGIMES.join(', ')}, got ${String(options.regime).slice(0, 40)}`,
    );
  }
  const now = options.nowMs;
  if (now !== undefined && (typeof now !== 'number' || !Number.isSafeInteger(now) || now < 0 || now > MAX_MS)) {
    throw new RangeError(`"nowMs" expected epoch ms from 0 to ${MAX_MS}, got ${String(now)}`);
  }
  const rotation = options.rotation;
  if (rotation !== undefined) {
    if (typeof rotation !== 'object' || rotation === null) throw new TypeError('"rotation" expected an object');
    for (const key of ['maxBytes', 'maxAgeMs'] as const) {
      const v = rotation[key];
      if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
        throw new RangeError(`"rotation.${key}" expected a non-negative integer, got ${String(v)}`);
      }
    }
  }
}

function checkSegments(log: Uint8Array | readonly LogSegment[]): readonly LogSegment[] {
  if (log instanceof Uint8Array) return [{ name: 'log', bytes: log }];
  if (!Array.isArray(log) || log.length === 0) {
    throw new TypeError('"log" expected the log\'s bytes or a non-empty array of { name, bytes } files');
  }
  return log.map((s: unknown, i) => {
    const seg = s as Partial<LogSegment> | null;
    if (typeof seg?.name !== 'string' || !(seg.bytes instanceof Uint8Array)) {
      throw new TypeError(`"log[${i}]" expected { name: string, bytes: Uint8Array }`);
    }
    // Copied: the caller's buffer cannot change between verification and reading.
    return { name: seg.name, bytes: seg.bytes.slice() };
  });
}

/** Sorts an object's keys, so the same numbers always serialise to the same bytes. */
function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T;
  return out;
}

/**
 * Computes the controls of one compliance regime from a signed audit log: the log is verified in full first
 * (chain, hashes, signatures, envelopes, checkpoints, trust), and only the records that verify are read. Each
 * control says what the log shows (`found`, `partly`, `not found`), never that anything is compliant, with the
 * numbers measured, the sequence numbers of the records that support or contradict each finding, and what a
 * log cannot show. The same log and options always give the same report.
 *
 * @param log - the log's bytes (JSON Lines), or its files in order (a rotated directory's segments).
 * @param options - see {@link ComplianceReportOptions}.
 * @returns a {@link ComplianceReport}; a log that fails verification is reported (integrity `not found`), not thrown.
 * @throws TypeError or RangeError on a bad argument or option.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createComplianceReport, formatReportMarkdown } from '@agentguard/evidence';
 *
 * const report = createComplianceReport(readFileSync('audit.jsonl'), { regime: 'pci-dss-4', trust: ['did:key:z6Mk…'] });
 * console.log(formatReportMarkdown(report));
 * ```
 */
export function createComplianceReport(
  log: Uint8Array | readonly LogSegment[],
  options: ComplianceReportOptions,
): ComplianceReport {
  checkOptions(options);
  const segments = checkSegments(log);
  const facts = readFacts(segments, {
    ...(options.trust === undefined ? {} : { trust: options.trust }),
    ...(options.checkpointKeys === undefined ? {} : { checkpointKeys: options.checkpointKeys }),
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
    ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs }),
  });
  const context = options.rotation === undefined ? {} : { rotation: options.rotation };
  const controls: ControlReport[] = CONTROLS[options.regime].map((control) => {
    const m = control.measure(facts, context);
    return {
      id: control.id,
      title: control.title,
      status: m.status,
      measured: sortedRecord(m.measured),
      findings: m.findings,
      limits: control.limits,
    };
  });
  const { records, events, verification } = facts;
  const first = records[0];
  const last = records.at(-1);
  return {
    format: 'agentguard-compliance-report/v1',
    regime: options.regime,
    asOf: new Date(facts.asOfMs).toISOString(),
    log: {
      records: records.length,
      events: events.length,
      checkpoints: records.length - events.length,
      ...(first === undefined ? {} : { from: first.ts }),
      ...(last === undefined ? {} : { to: last.ts }),
      files: facts.files,
      ...(verification.ok ? { root: verification.root } : {}),
    },
    controls,
  };
}
