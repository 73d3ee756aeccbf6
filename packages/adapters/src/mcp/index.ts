export { CALL_META_KEY } from './meta.js';
export { createToolPins, pinOf, type ToolPins, type ToolPin, type PinStatus, type McpToolDefinition } from './pins.js';
export {
  guardMcpClient,
  type GuardedMcpClient,
  type GuardMcpClientOptions,
  type McpClientLike,
  type McpCallToolResult,
  type McpToolFacts,
} from './client.js';
export {
  createMcpCallVerifier,
  type McpCallVerifier,
  type McpCallVerifierOptions,
  type McpRefusal,
  type VerifiedHandler,
} from './server.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
