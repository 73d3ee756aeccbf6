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
export type { RejectFunction, RejectionRequest } from '../shared/refusals.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
