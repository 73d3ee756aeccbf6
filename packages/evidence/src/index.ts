/**
 * Evidence from AgentGuard audit logs: incident bundles (`bundle/`), the OCSF export (`ocsf/`) and compliance
 * reports (`report/`).
 * @packageDocumentation
 */
export {};
