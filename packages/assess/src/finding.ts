import type { FindingId, Severity } from './catalogue.js';

/** What a finding points at. Every list is sorted. */
export interface Evidence {
  readonly tools?: readonly string[];
  readonly agents?: readonly string[];
  /** Policy rule or limit ids. */
  readonly rules?: readonly string[];
  /** `seq` of the log records that show it. */
  readonly records?: readonly number[];
  /** Facts, in words (e.g. `mode monitor since 2026-01-01 (40 days)`). */
  readonly facts?: readonly string[];
}

/** One finding of an assessment. */
export interface Finding {
  readonly id: FindingId;
  readonly severity: Severity;
  readonly title: string;
  /** What was found, specifically. */
  readonly message: string;
  readonly evidence: Evidence;
  /** How to fix it. */
  readonly fix: string;
  /** A replacement the fix proposes (the narrower rules of AG-POL-002). */
  readonly suggestion?: unknown;
}
