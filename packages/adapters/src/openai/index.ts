export {
  toChatCompletionsTools,
  toResponsesTools,
  type ChatCompletionsFunctionTool,
  type ResponsesFunctionTool,
} from './definitions.js';
export {
  createToolDispatcher,
  type ToolDispatcher,
  type ChatCompletionsToolCall,
  type ChatCompletionsToolMessage,
  type ResponsesOutputItem,
  type ToolDispatcherOptions,
} from './dispatcher.js';
export type {
  ResponsesFunctionCallOutput,
  ResponsesFunctionCall,
  ResponsesApprovalRequest,
  ResponsesApprovalAnswer,
} from './approvals.js';
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../shared/approvals.js';
export type { RejectFunction, RejectionRequest } from '../shared/refusals.js';
export { toRunnableTools, type RunnableGuardedTool } from './runner.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
