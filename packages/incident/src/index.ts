export { IncidentError, INCIDENT_ERROR_CODES, type IncidentErrorCode } from './control/errors.js';
export {
  CONTROL_PREDICATE_TYPE,
  CONTROL_PAYLOAD_TYPE,
  MAX_STATUS_PAYLOAD_BYTES,
  MAX_MEASURES,
  type StatusScope,
  type StatusMeasure,
  type ControlPredicate,
  type ControlStatement,
} from './control/status.js';
export { signStatus, type SignStatusOptions, type SignedStatus } from './control/sign.js';
export {
  verifyStatus,
  type VerifyStatusOptions,
  type VerifiedStatus,
  type KnownStatus,
  type StatusVerification,
} from './control/verify.js';
export {
  createControlSource,
  type ControlSource,
  type ControlSourceOptions,
  type ControlSourceEvents,
  type ControlSnapshot,
} from './control/source.js';
export { MAX_STATUS_DOCUMENT_BYTES } from './control/fetch.js';
export {
  ringDoorbell,
  DEFAULT_DOORBELL_CHANNEL,
  type DoorbellOptions,
} from './control/redis.js';
