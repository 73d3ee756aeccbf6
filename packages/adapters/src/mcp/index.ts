export { CALL_META_KEY } from './meta.js';
export { createToolPins, pinOf, type ToolPins, type ToolPin, type PinStatus } from './pins.js';
export type { McpToolAnnotations, McpToolDefinition } from './definition.js';
export { guardMcpClient } from './client.js';
export type {
  GuardedMcpClient,
  GuardMcpClientOptions,
  McpClientLike,
  McpCallToolResult,
  McpCallOptions,
  McpToolResult,
  McpRefusedResult,
  McpToolListing,
} from './client-types.js';
export type { McpToolFacts } from './options.js';
export type { McpDenial, McpDenialCode, McpPinMismatchCode } from './refusal.js';
export {
  createMcpCallVerifier,
  type McpCallVerifier,
  type McpCallVerifierOptions,
  type McpRefusal,
  type VerifiedHandler,
} from './server.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
