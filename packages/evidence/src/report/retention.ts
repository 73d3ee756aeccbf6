import type { LogFacts } from './read.js';
import { finding, type Measure, weakest } from './measure.js';
import type { Finding } from './types.js';

/** Rotation settings of the log's directory, as given to `openAuditDirectory`. */
export interface RotationSettings {
  /** A new file once the current one holds this many bytes (0: never by size). */
  readonly maxBytes?: number;
  /** A new file once the current one is this old, in ms (0: never by age). */
  readonly maxAgeMs?: number;
}

/** `ms` moved back by `months` calendar months in UTC (the day clamped to the month's last day). */
export function monthsBefore(ms: number, months: number): number {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() - months;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month,
    Math.min(d.getUTCDate(), last),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Options of {@link retention}. */
export interface RetentionOptions {
  /** The period the records must cover, in calendar months before the report's instant. */
  readonly months: number;
  /** A shorter recent period that must be at hand (PCI DSS 10.5.1: three months immediately available). */
  readonly immediateMonths?: number;
  readonly rotation?: RotationSettings;
}

/**
 * What period the present files cover, and whether it reaches `months` back from the report's instant. A log
 * that verifies starts at its first record (seq 0, the genesis hash): no earlier file can be missing without
 * the verification failing, so a log younger than the period has all its history but cannot show the period yet.
 */
export function retention(facts: LogFacts, options: RetentionOptions): Measure {
  const { records, asOfMs } = facts;
  const first = records[0];
  const last = records.at(-1);
  const needFrom = monthsBefore(asOfMs, options.months);
  const measured: Record<string, number | string> = {
    'files present': facts.files.length,
    'records read': records.length,
    'report instant': iso(asOfMs),
    'required from': iso(needFrom),
  };
  const rotation = options.rotation;
  if (rotation?.maxAgeMs !== undefined) measured['rotation max age (ms)'] = rotation.maxAgeMs;
  if (rotation?.maxBytes !== undefined) measured['rotation max bytes'] = rotation.maxBytes;
  if (first === undefined || last === undefined) {
    return {
      status: 'not found',
      measured,
      findings: [finding('not found', 'no record that verifies: the files present cover no period')],
    };
  }
  const fromMs = Date.parse(first.ts);
  const days = Math.floor((asOfMs - fromMs) / DAY_MS);
  measured['covered from'] = first.ts;
  measured['covered to'] = last.ts;
  measured['days covered before the report instant'] = days;
  const all = records.map((r) => r.seq);
  const findings: Finding[] = [];
  if (fromMs <= needFrom) {
    const inPeriod = records.filter((r) => Date.parse(r.ts) >= needFrom).map((r) => r.seq);
    findings.push(
      finding(
        'found',
        `the files present hold records from ${first.ts} to ${last.ts}: ${options.months} month(s) back from ${iso(asOfMs)} are covered`,
        inPeriod,
      ),
    );
  } else {
    findings.push(
      finding(
        'partly',
        `the files present hold records from ${first.ts} only (${days} day(s) before ${iso(asOfMs)}); ${options.months} month(s) would reach back to ${iso(needFrom)}. The log starts there (seq 0), so no file of it is missing, but the period is not covered`,
        all,
      ),
    );
  }
  if (options.immediateMonths !== undefined) {
    const recentFrom = monthsBefore(asOfMs, options.immediateMonths);
    findings.push(
      fromMs <= recentFrom
        ? finding(
            'found',
            `the last ${options.immediateMonths} month(s) are in the files read for this report (immediately available)`,
            records.filter((r) => Date.parse(r.ts) >= recentFrom).map((r) => r.seq),
          )
        : finding(
            'partly',
            `the files read reach back to ${first.ts} only, not ${options.immediateMonths} month(s) to ${iso(recentFrom)}`,
            all,
          ),
    );
  }
  if (rotation !== undefined) {
    const age = rotation.maxAgeMs ?? 0;
    const size = rotation.maxBytes ?? 64 * 1024 * 1024;
    findings.push(
      finding(
        'found',
        `rotation starts a new file ${age > 0 ? `every ${age} ms` : 'never by age'} and ${size > 0 ? `at ${size} bytes` : 'never by size'}; rotation deletes no file, so how long files stay depends on what removes them outside the log`,
      ),
    );
    if (age > 0) {
      // A rotating directory starts a new file before writing a record `maxAgeMs` after the current file opened,
      // so no file's records span that long: one that does was not written with the settings given.
      const longer = facts.files.filter(
        (f) => f.from !== undefined && f.to !== undefined && Date.parse(f.to) - Date.parse(f.from) >= age,
      );
      const seqs = longer.flatMap((f) =>
        f.firstSeq === undefined || f.lastSeq === undefined
          ? []
          : Array.from({ length: f.lastSeq - f.firstSeq + 1 }, (_, i) => (f.firstSeq as number) + i),
      );
      measured['files longer than the rotation age'] = longer.length;
      if (longer.length > 0) {
        findings.push(
          finding(
            'partly',
            `${longer.length} file(s) hold records further apart than the rotation age given: the files were not written with these settings`,
            [],
            seqs,
          ),
        );
      }
    }
  }
  return { status: weakest(findings.map((f) => f.status)), measured, findings };
}
