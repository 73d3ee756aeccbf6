export { AssessError, ASSESS_ERROR_CODES, type AssessErrorCode } from './errors.js';
export {
  SEVERITIES,
  isSeverity,
  FINDING_RULES,
  type Severity,
  type FindingId,
  type FindingRule,
} from './catalogue.js';
export type { Finding, Evidence } from './finding.js';
export {
  parseDeployment,
  parseDeploymentText,
  KEY_KINDS,
  MAX_DEPLOYMENT_BYTES,
  type Deployment,
  type DeploymentInput,
  type DeploymentTool,
  type DeploymentAgent,
  type KeyKind,
} from './deployment.js';
export { summariseLog, type LogRecord, type LogSummary, type LoggedCall } from './log.js';
export type { LogMetrics } from './log-checks.js';
export {
  assess,
  exitCodeOf,
  parsePreviousReport,
  EXIT_BY_SEVERITY,
  type AssessOptions,
  type AssessmentReport,
} from './report.js';
export {
  formatReport,
  reportDigest,
  REPORT_FORMATS,
  type ReportFormat,
  type FormatReportOptions,
} from './format.js';
export {
  planRollout,
  formatPlan,
  ROLLOUT_STAGES,
  type RolloutStageId,
  type RolloutStage,
  type AgentRollout,
  type PlanRolloutOptions,
} from './plan.js';
