export { toAgentsTool, toAgentsTools, type AgentsToolOptions } from './tool.js';
export { rejectAgentsCall, type RejectAgentsCallOptions, type RejectingState } from './reject.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../common/approvals.js';
export type { RejectFunction, RejectionRequest } from '../common/refusals.js';
