export {
  PolicyError,
  POLICY_ERROR_CODES,
  type PolicyErrorCode,
  APPROVAL_ERROR_CODES,
  type ApprovalErrorCode,
  type PolicyIssue,
} from './errors.js';
export {
  policySchema,
  ruleSchema,
  limitSchema,
  conditionSchema,
  monitorConditionSchema,
  effectSchema,
  modeSchema,
  type Effect,
  type PolicyMode,
  type Policy,
  type PolicyRule,
  type Limit,
  type Condition,
  type MonitorCondition,
  type SubjectMatch,
  type Schedule,
} from './schema.js';
export {
  parsePolicy,
  parsePolicyText,
  policyHash,
  MAX_POLICY_TEXT_BYTES,
  MAX_POLICY_DEPTH,
  type ParsePolicyTextOptions,
} from './parse.js';
export type {
  Decision,
  DecisionRequest,
  DecisionAgent,
  DecisionTool,
  MonitorVerdictView,
  Obligations,
} from './decision.js';
export { createPolicyEngine, type PolicyEngine, type PolicyEngineOptions } from './engine.js';
export { DEFAULT_CANARY } from './self-test.js';
export {
  definePolicy,
  allow,
  deny,
  requireApproval,
  forTool,
  type TypedRules,
  type PolicyInput,
  type RuleOptions,
  type RuleJson,
  type Globs,
} from './builder.js';
export type { StandardSchemaLike, InputOf, Pointers, ValueAt, ConditionFor, WhenFor } from './typed.js';
export { readOnlyPreset, type ReadOnlyPresetOptions } from './preset.js';
export {
  createMemoryStateStore,
  type StateStore,
  type TokenBucket,
  type TakeResult,
  type MemoryStateStoreOptions,
} from './state-store.js';
export { compileGlob, type GlobMatcher } from './glob.js';
export {
  compileSafeRegex,
  MAX_REGEX_LENGTH,
  MAX_REGEX_STATES,
  MAX_REGEX_REPEAT,
  MAX_REGEX_NESTING,
  MAX_REGEX_WORK,
  type SafeRegex,
  type RegexBudget,
} from './safe-regex.js';
export { MAX_DECISION_WORK, MAX_REGEX_INPUT } from './conditions.js';
export { normalizePath, MAX_PATH_LENGTH, type PathStyle } from './path.js';
export { MAX_URL_LENGTH } from './url.js';
export {
  parseIpAddress,
  formatIpAddress,
  classifyIpAddress,
  endsInNumber,
  compileIpRanges,
  IP_RANGES,
  IP_RANGE_NAMES,
  type IpAddress,
  type IpClass,
  type IpRangeName,
  type IpRangeMatcher,
} from './ip.js';
export { createApproval, verifyApproval, type CreateApprovalOptions, type VerifyApprovalOptions } from './approval.js';
export {
  argsDigest,
  approvalStatementSchema,
  signedApprovalSchema,
  APPROVAL_PAYLOAD_TYPE,
  type ApprovalSubject,
  type ApprovalStatement,
  type SignedApproval,
  type ApprovalResult,
} from './approval-statement.js';
export {
  runPolicyTests,
  parsePolicyTestFile,
  parsePolicyTestFileText,
  policyTestFileSchema,
  policyTestCaseSchema,
  type PolicyTestCase,
  type PolicyTestFile,
  type PolicyTestResult,
  type PolicyTestReport,
} from './policy-tests.js';
export { suggestPolicy, type Observation, type SuggestPolicyOptions } from './suggest.js';
