/**
 * Framework pieces for tests outside this package (the adversarial suite), which do not depend on the
 * frameworks themselves: imported by relative path, they resolve from here.
 */
export { ToolMessage } from '@langchain/core/messages';
export { tool as langChainTool } from '@langchain/core/tools';
