export { PolicyError, POLICY_ERROR_CODES, type PolicyErrorCode, type PolicyIssue } from './errors.js';
export type {
  Effect,
  PolicyMode,
  Policy,
  PolicyDocument,
  PolicyRule,
  Limit,
  Condition,
  MonitorCondition,
  SubjectMatch,
  Schedule,
} from './document/schema.js';
export {
  parsePolicy,
  parsePolicyText,
  policyHash,
  MAX_POLICY_TEXT_BYTES,
  MAX_POLICY_DEPTH,
  type ParsePolicyTextOptions,
} from './document/parse.js';
export type {
  Decision,
  DecisionRequest,
  DecisionAgent,
  DecisionTool,
  MonitorVerdictView,
  Obligations,
} from './engine/decision.js';
export {
  ISOLATION_LEVELS,
  isIsolationLevel,
  meetsIsolation,
  type IsolationLevel,
} from './isolation/levels.js';
export type { IsolationGrants } from './isolation/grants.js';
export { createPolicyEngine, type PolicyEngine, type PolicyEngineOptions } from './engine/engine.js';
export { DEFAULT_CANARY } from './engine/self-test.js';
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
} from './document/builder.js';
export type { StandardSchemaLike, InputOf, Pointers, ValueAt, ConditionFor, WhenFor } from './document/typed.js';
export { readOnlyPreset, type ReadOnlyPresetOptions } from './document/preset.js';
export {
  createMemoryStateStore,
  type StateStore,
  type TokenBucket,
  type TakeResult,
  type MemoryStateStoreOptions,
} from './state/state-store.js';
export {
  MAX_REGEX_LENGTH,
  MAX_REGEX_STATES,
  MAX_REGEX_REPEAT,
  MAX_REGEX_NESTING,
  MAX_REGEX_WORK,
} from './match/safe-regex.js';
export { MAX_DECISION_WORK, MAX_REGEX_INPUT } from './match/conditions.js';
export { MAX_PATH_LENGTH, type PathStyle } from './match/path.js';
export { MAX_URL_LENGTH } from './match/url.js';
export {
  parseIpAddress,
  formatIpAddress,
  classifyIpAddress,
  compileIpRanges,
  IP_RANGES,
  IP_RANGE_NAMES,
  type IpAddress,
  type IpClass,
  type IpRangeName,
  type IpRangeMatcher,
} from './match/ip.js';
export {
  runPolicyTests,
  parsePolicyTestFile,
  parsePolicyTestFileText,
  type PolicyTestCase,
  type PolicyTestFile,
  type PolicyTestResult,
  type PolicyTestReport,
} from './tools/policy-tests.js';
export { suggestPolicy, type Observation, type SuggestPolicyOptions } from './tools/suggest.js';
export {
  RISK_TIERS,
  isRiskTier,
  maxRiskTier,
  toolRiskTier,
  runsWithoutApproval,
  limitsCovering,
  ruleSelectsTool,
  type RiskTier,
  type RiskToolView,
  type ToolRisk,
  type ToolRiskOptions,
} from './tools/risk.js';
