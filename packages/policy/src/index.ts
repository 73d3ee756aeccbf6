export { PolicyError, type PolicyErrorCode, type PolicyIssue } from './errors.js';
export {
  policySchema,
  ruleSchema,
  effectSchema,
  modeSchema,
  type Effect,
  type PolicyMode,
  type Policy,
  type PolicyRule,
} from './schema.js';
export { parsePolicy, policyHash } from './parse.js';
export type { Decision, DecisionRequest, DecisionAgent, DecisionTool, Obligations } from './decision.js';
export { createPolicyEngine, type PolicyEngine, type PolicyEngineOptions } from './engine.js';
export {
  definePolicy,
  allow,
  deny,
  requireApproval,
  type PolicyInput,
  type RuleOptions,
  type RuleJson,
  type Globs,
} from './builder.js';
export { compileGlob, type GlobMatcher } from './glob.js';
