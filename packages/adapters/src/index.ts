/**
 * `@agentguard/adapters`: guard() inside agent frameworks. Each framework has its own entry point, so that
 * importing one adapter never loads another framework:
 * `@agentguard/adapters/langchain`, `/openai`, `/openai-agents`, `/ai-sdk`, `/mcp`.
 * This root entry holds only what every adapter shares and loads no framework.
 */
export type { AdapterOptions, OnDenied } from './common/options.js';
export type { AnyGuardedTool } from './common/tools.js';
export type { RejectFunction, RejectionRequest } from './common/refusals.js';
export { CALL_META_KEY } from './mcp/meta.js';
export { ADAPTER_ERROR_CODES, type AdapterErrorCode } from './common/errors.js';
