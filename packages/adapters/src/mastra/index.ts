export { toMastraTool, toMastraTools, type MastraToolOptions, type MastraGuardedTool } from './tool.js';
export type { MastraSuspend, MastraResume } from './schema.js';
export type { AdapterOptions, OnDenied } from '../common/options.js';
export type { ApprovalRequest, ApproveFunction, SignedApprovalLike } from '../common/approvals.js';
export type { RejectFunction, RejectionRequest } from '../common/refusals.js';
