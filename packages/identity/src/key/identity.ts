import type { JsonValue } from '@agentguard/statement';
import { type DidKey, publicKeyToDid } from './did-key.js';
import { generateSecretKey, publicKeyOf, SECRET_KEY_LENGTH, sign } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';
import { importJwk, type PrivateJwk, type PublicJwk, publicKeyToJwk, secretKeyToJwk } from './jwk.js';

/**
 * Something that signs bytes with an Ed25519 key, wherever that key lives
 * (this process, a file, another process). Signing is async so that a key held
 * elsewhere can serve the same interface.
 */
export interface Signer {
  /** The `did:key` of the signing key. */
  readonly id: DidKey;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Key id: the did:key verification method, `did:key:z…#z…`. */
  readonly keyId: string;
  /**
   * Signs `message`; resolves to a 64-byte Ed25519 signature. `context` is informative only: a signer
   * that decides by policy (another process) may use it, after checking it against the signed bytes.
   */
  sign(message: Uint8Array, context?: JsonValue): Promise<Uint8Array>;
}

/** An agent's identity: a {@link Signer} with a name, whose secret key stays inside. */
export interface AgentIdentity extends Signer {
  /** A human-readable name, for logs and policies. */
  readonly name: string;
  /** The public key as an RFC 8037 JWK. */
  publicJwk(): PublicJwk;
  /** The key pair as an RFC 8037 private JWK. The result is a secret: store it with care. */
  exportPrivateJwk(): PrivateJwk;
}

/**
 * Identities made by {@link createIdentity} (and identities built on one, such as a signing thread's): their
 * key is in this process and signs whatever it is given. Each maps to its secret key, which is not a property.
 */
const inProcess = new WeakMap<object, Uint8Array>();

/**
 * @internal Marks `signer` as an identity of this process holding `secretKey` (kept by reference: the caller
 * made it and never hands it out).
 */
export function markInProcess(signer: Signer, secretKey: Uint8Array): void {
  inProcess.set(signer, secretKey);
}

/** @internal The secret key of an identity of this process, or undefined for any other signer. */
export function inProcessSecretKey(signer: unknown): Uint8Array | undefined {
  return typeof signer === 'object' && signer !== null ? inProcess.get(signer) : undefined;
}

/** Options of {@link createIdentity}. */
export interface CreateIdentityOptions {
  /**
   * Human-readable agent name.
   * @default the did:key id
   */
  readonly name?: string;
  /**
   * An existing 32-byte secret key (seed). Copied, never kept by reference.
   * @default a fresh key from the platform CSPRNG
   */
  readonly secretKey?: Uint8Array;
}

/**
 * Creates an agent identity: an Ed25519 key pair whose id is a `did:key`.
 *
 * @param options - see {@link CreateIdentityOptions}.
 * @returns a frozen identity; the secret key is not a property of it.
 * @throws IdentityError `ERR_IDENTITY_KEY_INVALID` when `secretKey` is not 32 bytes.
 * @example
 * ```ts
 * const agent = createIdentity({ name: 'billing-agent' });
 * agent.id; // 'did:key:z6Mk…'
 * const signature = await agent.sign(new TextEncoder().encode('hello'));
 * ```
 */
export function createIdentity(options: CreateIdentityOptions = {}): AgentIdentity {
  if (options.secretKey !== undefined && !(options.secretKey instanceof Uint8Array)) {
    throw new TypeError(`"secretKey" expected Uint8Array, got ${typeof options.secretKey}`);
  }
  if (options.secretKey !== undefined && options.secretKey.length !== SECRET_KEY_LENGTH) {
    throw new IdentityError(
      'ERR_IDENTITY_KEY_INVALID',
      `"secretKey" expected ${SECRET_KEY_LENGTH} bytes, got ${options.secretKey.length}`,
    );
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw new TypeError('"name" expected a non-empty string');
  }
  const secretKey = options.secretKey === undefined ? generateSecretKey() : Uint8Array.from(options.secretKey);
  const publicKey = publicKeyOf(secretKey);
  const id = publicKeyToDid(publicKey);
  const keyId = `${id}#${id.slice('did:key:'.length)}`;
  const name = options.name ?? id;
  const identity: AgentIdentity = Object.freeze({
    id,
    name,
    keyId,
    get publicKey() {
      return publicKey.slice();
    },
    sign: async (message: Uint8Array) => sign(message, secretKey),
    publicJwk: () => publicKeyToJwk(publicKey, keyId),
    exportPrivateJwk: () => secretKeyToJwk(secretKey, keyId),
    // Never serialise the secret by accident (logs, JSON.stringify of a context).
    toJSON: () => ({ id, name, keyId }),
  });
  markInProcess(identity, secretKey);
  return identity;
}

/**
 * Whether `signer` is an identity {@link createIdentity} made (or {@link identityFromJwk}, or a key file or
 * store loaded, or `startSigningThread` of `@agentguard/identity/node` started on one): its secret key is in
 * this process, and it signs whatever it is asked to, with exactly the key it names. Anything else (a signer
 * in another process, which may decide by its own policy what to sign, or any object written to the
 * {@link Signer} interface) is not, even when it wraps such an identity.
 *
 * A guard uses this to skip the call envelope of its own calls: an envelope signed by an in-process key
 * says nothing the guard's signed audit record of the call does not.
 *
 * @example
 * ```ts
 * isInProcessIdentity(createIdentity()); // true
 * isInProcessIdentity(await connectSigner({ socket })); // false
 * ```
 */
export function isInProcessIdentity(signer: unknown): boolean {
  return typeof signer === 'object' && signer !== null && inProcess.has(signer);
}

/**
 * Restores an identity from an RFC 8037 private JWK (as `exportPrivateJwk` writes it).
 *
 * @param jwk - the parsed private JWK (`kty` OKP, `crv` Ed25519, `x`, `d`).
 * @param options - `name`: human-readable agent name (@default the did:key id).
 * @returns a frozen identity, as {@link createIdentity}.
 * @throws IdentityError `ERR_IDENTITY_JWK_INVALID` when the JWK is malformed or has no `d`.
 * @example
 * ```ts
 * const agent = identityFromJwk(parseJson(readFileSync('agent.jwk', 'utf8')), { name: 'billing-agent' });
 * ```
 */
export function identityFromJwk(jwk: unknown, options: { readonly name?: string } = {}): AgentIdentity {
  const { secretKey } = importJwk(jwk);
  if (secretKey === undefined) throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK has no private part "d"');
  return createIdentity(options.name === undefined ? { secretKey } : { secretKey, name: options.name });
}
