import type { Harness } from './fixture.js';
import { aiSdk } from './harness/ai-sdk.js';
import { openaiAgents } from './harness/agents.js';
import { langchainMiddleware, langchainTools } from './harness/langchain.js';
import { mcpV1, mcpV2 } from './harness/mcp.js';
import { openaiChat, openaiResponses } from './harness/openai.js';

/** Every adapter, on its real framework with that framework's own fake model. */
export const harnesses: readonly Harness[] = [
  langchainTools,
  langchainMiddleware,
  openaiChat,
  openaiResponses,
  openaiAgents,
  aiSdk,
  mcpV1,
  mcpV2,
];
