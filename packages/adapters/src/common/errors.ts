/**
 * The codes `@agentguard/adapters` adds to the guard's (`GUARD_ERROR_CODES` of `@agentguard/core`): a
 * Denial from an adapter carries one of either list.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_ADAPTER_MCP_PIN_MISMATCH` | an MCP server's tool definition is not the pinned one; the call was not sent |
 */
export const ADAPTER_ERROR_CODES = Object.freeze(['ERR_ADAPTER_MCP_PIN_MISMATCH'] as const);

/** One of {@link ADAPTER_ERROR_CODES}. */
export type AdapterErrorCode = (typeof ADAPTER_ERROR_CODES)[number];
