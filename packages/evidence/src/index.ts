/**
 * Evidence from AgentGuard audit logs: incident bundles (`bundle/`), the OCSF export (`ocsf/`) and compliance
 * reports (`report/`).
 * @packageDocumentation
 */
export { createComplianceReport, type ComplianceReportOptions } from './report/report.js';
export { formatReportJson, formatReportMarkdown } from './report/render.js';
export type { LogSegment } from './report/read.js';
export type { RotationSettings } from './report/retention.js';
export {
  REPORT_REGIMES,
  type ComplianceReport,
  type ControlReport,
  type Finding,
  type FindingStatus,
  type ReportFile,
  type ReportRegime,
  type SeqRanges,
} from './report/types.js';

// Evidence bundles and the OCSF export.
export * from './bundle/index.js';
export * from './ocsf/index.js';
