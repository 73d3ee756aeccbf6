export { BUNDLE_ERROR_CODES, BundleError, type BundleErrorCode } from './errors.js';
export { exportBundle, type ExportBundleOptions, type EvidenceBundle } from './export.js';
export {
  verifyBundle,
  verifyBundleParallel,
  type VerifyBundleOptions,
  type VerifyBundleParallelOptions,
  type BundleReport,
  type BundleFinding,
} from './verify.js';
export { readBundleDirectory, writeBundleDirectory } from './fs.js';
export {
  BUNDLE_PREDICATE_TYPE,
  BUNDLE_FILES,
  formatTlogProof,
  parseTlogProof,
  type BundlePredicate,
  type TlogProof,
} from './format.js';
