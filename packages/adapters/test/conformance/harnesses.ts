import type { Harness } from './fixture.js';
import { aiSdkV6, aiSdkV7 } from './harness/ai-sdk.js';
import { openaiAgents } from './harness/agents.js';
import { langchainMiddleware, langchainTools } from './harness/langchain.js';
import { mcpV1, mcpV2 } from './harness/mcp.js';
import { openaiHarnesses } from './harness/openai.js';
import { mastraSupported } from '../node-version.js';

/** Every adapter, on its real framework with that framework's own fake model (Mastra on Node 22+ only). */
export const harnesses: readonly Harness[] = [
  langchainTools,
  langchainMiddleware,
  ...openaiHarnesses,
  openaiAgents,
  aiSdkV6,
  aiSdkV7,
  mcpV1,
  mcpV2,
  // Loaded only where @mastra/core runs (Node >= 22.13): on Node 20 the module is never imported.
  ...(mastraSupported ? [(await import('./harness/mastra.js')).mastra] : []),
];
