/** The regimes a compliance report can be computed for. */
export const REPORT_REGIMES = Object.freeze(['pci-dss-4', 'hipaa', 'gdpr', 'eu-ai-act', 'soc2'] as const);

/** A regime of {@link REPORT_REGIMES}. */
export type ReportRegime = (typeof REPORT_REGIMES)[number];

/**
 * What the log shows for a control. Never a verdict of compliance: `found` means the log holds the evidence
 * the control asks of a log, `partly` that it holds some of it, `not found` that it holds none.
 */
export type FindingStatus = 'found' | 'partly' | 'not found';

/** Sequence numbers of records, as sorted runs: `"4"`, `"7-12"`. */
export type SeqRanges = readonly string[];

/** One thing found (or not) for a control, with the records that show it. */
export interface Finding {
  readonly status: FindingStatus;
  /** What was found, in words. */
  readonly text: string;
  /** Records that support the finding. */
  readonly supports: SeqRanges;
  /** Records that contradict it (a request without an outcome, a break in the chain, …). */
  readonly contradicts: SeqRanges;
}

/** One control of a regime, computed from the log. */
export interface ControlReport {
  /** `<regime>/<control>`, e.g. `pci-dss-4/10.2.2`. */
  readonly id: string;
  readonly title: string;
  /** The control's overall status: the weakest of its findings. */
  readonly status: FindingStatus;
  /** What was measured: counts, shares (as `"97.5%"`), periods. Keys sorted. */
  readonly measured: Readonly<Record<string, number | string>>;
  readonly findings: readonly Finding[];
  /** What a log cannot show about this control. */
  readonly limits: readonly string[];
}

/** One file of a log (a rotated segment), as the report describes it. */
export interface ReportFile {
  readonly name: string;
  /** First and last `seq` in the file (absent for a file without records). */
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  /** Times of its first and last record. */
  readonly from?: string;
  readonly to?: string;
}

/** A compliance report: what the log shows for each control of one regime. */
export interface ComplianceReport {
  /** Format and version of the report. */
  readonly format: 'agentguard-compliance-report/v1';
  readonly regime: ReportRegime;
  /** The instant the report is computed for (RFC 3339). */
  readonly asOf: string;
  readonly log: {
    /** Records that verified (the report reads no record after a break). */
    readonly records: number;
    readonly events: number;
    readonly checkpoints: number;
    /** Times of the oldest and newest record read. */
    readonly from?: string;
    readonly to?: string;
    readonly files: readonly ReportFile[];
    /** RFC 9162 root (hex) of the records that verified, when the whole log verified. */
    readonly root?: string;
  };
  readonly controls: readonly ControlReport[];
}
