export { OCSF_ERROR_CODES, OcsfError, type OcsfErrorCode } from './errors.js';
export { exportOcsf, toOcsfEvent, OCSF_VERSION, type ExportOcsfOptions, type OcsfApiActivity } from './ocsf.js';
