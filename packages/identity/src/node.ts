// Node-bound parts of @agentguard/identity: the file key store and the out-of-process signer.
export {
  saveKeyFile,
  loadKeyFile,
  type SaveKeyFileOptions,
  type LoadKeyFileOptions,
} from './keystore/file.js';
export type { ScryptParams } from './keystore/crypto.js';
export {
  loadOrCreateIdentity,
  identityFromEnv,
  type LoadOrCreateIdentityOptions,
} from './keystore/persistent.js';
export { serveSigner, listenSigner, type ServeSignerOptions, type SignerServer } from './signer/server.js';
export {
  connectSigner,
  type ConnectSignerOptions,
  type RemoteSigner,
  type SignerEndpoint,
} from './signer/client.js';
export type { SignRequest, SignVerdict } from './signer/protocol.js';
export { revocationFile } from './revocation/file.js';
export { startSigningThread, type SigningThread } from './signer/thread.js';
