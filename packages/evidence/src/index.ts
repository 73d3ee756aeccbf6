/**
 * Evidence from AgentGuard audit logs: incident bundles (`bundle/`), the OCSF export (`ocsf/`) and compliance
 * reports (`report/`).
 * @packageDocumentation
 */

// Evidence bundles and the OCSF export.
export * from './bundle/index.js';
export * from './ocsf/index.js';
