/**
 * The `_meta` key under which a guarded MCP client sends the signed call envelope (a DSSE envelope from
 * `@agentguard/attestation`'s `signCall`). MCP reserves un-prefixed keys; a reverse-DNS prefix is ours
 * (MCP specification 2025-06-18, "General fields: `_meta`").
 */
export const CALL_META_KEY = 'dev.agentguard/call';
