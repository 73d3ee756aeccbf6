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
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../common/approvals.js';
export type { RejectFunction, RejectionRequest } from '../common/refusals.js';
export { toRunnableTools, type RunnableGuardedTool } from './runner.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
