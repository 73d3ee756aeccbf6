/**
 * `@mastra/core` declares Node >= 22.13, so the Mastra tests run only there (CI's Node 24 run); the adapter
 * itself type-checks and builds on Node 20. The one condition every Mastra test is gated on.
 */
export const mastraSupported: boolean = Number(process.versions.node.split('.')[0]) >= 22;
