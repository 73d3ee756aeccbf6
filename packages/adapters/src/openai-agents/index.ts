export { toAgentsTool, toAgentsTools, type AgentsToolOptions } from './tool.js';
export { rejectAgentsCall, type RejectAgentsCallOptions, type RejectingState } from './reject.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../shared/approvals.js';
export type { RejectFunction, RejectionRequest } from '../shared/refusals.js';
