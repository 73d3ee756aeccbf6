export { MonitorError, MONITOR_ERROR_CODES, type MonitorErrorCode } from './errors.js';
export {
  parseCorpus,
  parseCorpusSession,
  type MonitorCall,
  type ObservedCall,
  type MonitorSession,
} from './call.js';
export { sessionsFromAudit, type FromAuditOptions } from './from-audit.js';
export { SCAN_LIMITS, VALUE_KINDS, type ValueKind } from './values.js';
export {
  parseProfile,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type Profile,
  type AgentProfile,
  type ToolStats,
  type Timing,
  RATE_WINDOW_MS,
} from './profile.js';
export { learnProfile, type LearnOptions, type AlertDecision } from './learn.js';
export { profileDrift } from './drift.js';
export {
  signProfile,
  verifySignedProfile,
  acceptProfileUpdate,
  type SignedProfile,
  type SignProfileOptions,
  type ProfileCheck,
} from './signed-profile.js';
export {
  createDetector,
  type Detector,
  type DetectorCall,
  type SessionStart,
  type Verdict,
  type Alert,
} from './detector.js';
export {
  ALERT_FEATURES,
  DEFAULT_WEIGHTS,
  type AlertFeature,
  type DetectorOptions,
  type NormalisedDetectorOptions,
} from './detector-options.js';
export { evaluateSessions, replaySession, formatPredictions, type Prediction, type Replay } from './evaluate.js';
export {
  attest,
  verifyAttestation,
  compareAttestation,
  toolDigest,
  type Attestation,
  type AttestInput,
  type AttestationChange,
  type AttestationFeature,
  type ToolDefinition,
} from './attest.js';
