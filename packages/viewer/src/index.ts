export { ViewerError, VIEWER_ERROR_CODES, type ViewerErrorCode } from './errors.js';
export {
  buildTimeline,
  markTimeline,
  lineStatus,
  type Timeline,
  type CallView,
  type CallOutcome,
  type AlertView,
  type LineStatus,
} from './timeline.js';
export {
  verifyForView,
  proveInclusion,
  decodeLog,
  type VerifyRequest,
  type VerifyResult,
  type InclusionResult,
} from './session.js';
