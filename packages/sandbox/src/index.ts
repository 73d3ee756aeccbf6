export { SandboxError, SANDBOX_ERROR_CODES, type SandboxErrorCode } from './errors.js';
export { sandboxed, type SandboxedTool } from './sandboxed.js';
export type { SandboxOptions } from './options.js';
export type { SandboxEvent, CallContext } from './runner.js';
export {
  createEgressChecker,
  type EgressChecker,
  type EgressPolicy,
  type EgressRule,
  type EgressRefusal,
  type HostDecision,
  type AddressDecision,
} from './egress-policy.js';
export {
  createEgressBroker,
  type EgressBroker,
  type EgressBrokerOptions,
  type BrokerEndpoint,
  type EgressRecord,
} from './broker.js';
export type { UpstreamTls } from './intercept.js';
export { auditSandboxEvents, type SandboxAuditOptions } from './audit.js';
export { bwrapAvailable, permissionFlag } from './platform.js';
export { createEgressGuard, type EgressGuard, type EgressGuardOptions } from './egress-guard.js';
export type { FetchDispatcher, UndiciAgentClass, UndiciConnectOptions } from './undici.js';
