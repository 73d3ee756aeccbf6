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
} from './middleware.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
