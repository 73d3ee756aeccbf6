export {
  GuardedLangChainTool,
  toLangChainTool,
  guardLangChainTool,
  type GuardLangChainToolOptions,
  type LangChainToolLike,
  type LangChainArgsOf,
  type LangChainToolArgsOf,
} from './tool.js';
export {
  createGuardMiddleware,
  type GuardMiddlewareOptions,
  type GuardedToolFacts,
} from './middleware.js';
export {
  approvalInterrupts,
  isApprovalInterrupt,
  type ApprovalInterrupt,
  type ApprovalInterruptEntry,
  type RejectDecision,
} from './interrupts.js';
export type { RejectFunction, RejectionRequest } from '../common/refusals.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
