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
  type ResponsesFunctionCallOutput,
} from './dispatcher.js';
export { toRunnableTools, type RunnableGuardedTool } from './runner.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
