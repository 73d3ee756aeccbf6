export {
  GuardedLangChainTool,
  toLangChainTool,
  guardLangChainTool,
  type GuardLangChainToolOptions,
  type LangChainToolLike,
} from './tool.js';
export {
  createGuardMiddleware,
  type GuardMiddlewareOptions,
  type GuardedToolFacts,
  type ApprovalInterrupt,
  type RejectDecision,
} from './middleware.js';
export type { RejectFunction, RejectionRequest } from '../common/refusals.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
