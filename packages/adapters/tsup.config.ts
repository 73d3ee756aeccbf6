import { packageConfig } from '../../.config/tsup.base.js';

// One entry per framework, so importing one adapter never loads another framework.
export default packageConfig({
  index: 'src/index.ts',
  langchain: 'src/langchain/index.ts',
  openai: 'src/openai/index.ts',
  'openai-agents': 'src/openai-agents/index.ts',
  'ai-sdk': 'src/ai-sdk/index.ts',
  mcp: 'src/mcp/index.ts',
  mastra: 'src/mastra/index.ts',
});
