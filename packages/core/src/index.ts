export {
  createGuard,
  guard,
  type Guard,
  type GuardOptions,
  type GuardedTool,
  type GuardOutcome,
  type ToolSpec,
  type ToolContext,
  type CallOptions,
} from './guard.js';
export { GuardError, type GuardErrorCode, type Denial, type DenialOutcome } from './errors.js';
export type { GuardEvents, CallEvent } from './events.js';
export type { StandardSchemaV1, ArgIssue } from './standard-schema.js';
export type { ApprovalOptions, ApprovalRequest, Approver } from './approvals.js';
