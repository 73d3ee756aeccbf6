export { toAiSdkTool, toAiSdkTools, type AiSdkToolOptions, type AiSdkToolOf } from './tool.js';
export { refuseDeniedApprovals } from './refusals.js';
export type { AdapterOptions, OnDenied } from '../shared/options.js';
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../shared/approvals.js';
export type { RejectFunction, RejectionRequest } from '../shared/refusals.js';
