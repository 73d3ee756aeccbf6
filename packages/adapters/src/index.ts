/**
 * `@agentguard/adapters`: guard() inside agent frameworks. Each framework has its own entry point, so that
 * importing one adapter never loads another framework:
 * `@agentguard/adapters/langchain`, `/openai`, `/openai-agents`, `/ai-sdk`, `/mcp`.
 * This root entry holds only what every adapter shares and loads no framework.
 */
export type { AdapterOptions, OnDenied } from './shared/options.js';
export type { AnyGuardedTool } from './shared/tools.js';
export type { RejectFunction, RejectionRequest } from './shared/refusals.js';
export { CALL_META_KEY } from './mcp/meta.js';
export { ADAPTER_ERROR_CODES, type AdapterErrorCode } from './shared/errors.js';
