import { type JsonValue, parseJson, type ParseJsonOptions, StatementError } from '@agentguard/statement';
import { IdentityError, type IdentityErrorCode } from './errors.js';

/** Codes of `@agentguard/statement` that identity passes on under the same name (strict JSON and encodings). */
const PASSED_ON: ReadonlySet<string> = new Set<IdentityErrorCode>([
  'ERR_JSON_UNSUPPORTED_VALUE',
  'ERR_JSON_CYCLE',
  'ERR_JSON_TOO_DEEP',
  'ERR_JSON_PARSE',
  'ERR_JSON_DUPLICATE_KEY',
  'ERR_JSON_FORBIDDEN_KEY',
  'ERR_JSON_TOO_LARGE',
  'ERR_ENCODING_INVALID',
]);

/**
 * `error` as an IdentityError when it is one, or when it is a StatementError from the strict JSON parser or the
 * encodings (same code, original as `cause`), so credential results and signer answers keep their codes.
 * Undefined for anything else. Internal.
 */
export function asIdentityError(error: unknown): IdentityError | undefined {
  if (error instanceof IdentityError) return error;
  if (error instanceof StatementError && PASSED_ON.has(error.code)) {
    return new IdentityError(error.code as IdentityErrorCode, error.message, { cause: error });
  }
  return undefined;
}

/**
 * `parseJson` of `@agentguard/statement`, throwing IdentityError with the same `ERR_JSON_*` code, so identity's
 * own readers (credentials, trust files, key files, the signer protocol) throw this package's error class. Internal.
 *
 * @throws IdentityError `ERR_JSON_*`.
 */
export function parseJsonOrThrow(text: string, options: ParseJsonOptions): JsonValue {
  try {
    return parseJson(text, options);
  } catch (error) {
    throw asIdentityError(error) ?? error;
  }
}
