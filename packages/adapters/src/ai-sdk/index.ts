export { toAiSdkTool, toAiSdkTools, type AiSdkToolOptions, type AiSdkToolOf } from './tool.js';
export { refuseDeniedApprovals } from './refusals.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../common/approvals.js';
export type { RejectFunction, RejectionRequest } from '../common/refusals.js';
