/**
 * The out-of-process signer protocol: frames of a 4-byte big-endian length
 * followed by that many bytes of strict JSON (UTF-8), one request or response
 * each, over stdio or a Unix socket.
 *
 * Requests:  `{ v: 1, id, op: 'info' }` and `{ v: 1, id, op: 'sign', message: <base64url>, context?: <json> }`.
 * Responses: `{ v: 1, id, ok: true, did, kid, publicKey }`, `{ v: 1, id, ok: true, signature }`,
 *            `{ v: 1, id, ok: false, code, reason }`.
 * The secret key never appears in any message.
 */
import { fromBase64Url, fromUtf8, utf8, canonicalize, type JsonValue } from '@agentguard/statement';
import { IdentityError } from '../errors.js';
import { parseJsonOrThrow as parseJson } from '../statement-errors.js';

/** Largest frame accepted by default, bytes. */
export const DEFAULT_MAX_FRAME = 262_144;

/** A request to sign, as `authorize` sees it. */
export interface SignRequest {
  /** The exact bytes that would be signed. Decide on these, not on `context`. */
  readonly message: Uint8Array;
  /** Optional metadata from the client (e.g. tool name); untrusted, informative only. */
  readonly context?: JsonValue;
}

/** An `authorize` answer with a reason: `allow: false` refuses, and `reason` goes back to the client. */
export interface SignVerdict {
  /** Only `true` signs. */
  readonly allow: boolean;
  /** Why not, for the client and `onDecision` (bounded to {@link MAX_REASON_CHARS}). */
  readonly reason?: string;
}

/** Longest refusal reason sent back to a client, in UTF-16 code units. */
export const MAX_REASON_CHARS = 512;

/** Most requests one connection may have waiting for an answer; more is a protocol error. */
export const MAX_PENDING_REQUESTS = 64;

/** A parsed request. @internal */
export type WireRequest =
  | { readonly id: number; readonly op: 'info' }
  | { readonly id: number; readonly op: 'sign'; readonly message: Uint8Array; readonly context?: JsonValue };

function protocol(message: string): never {
  throw new IdentityError('ERR_IDENTITY_SIGNER_PROTOCOL', message);
}

/** Encodes one frame. @internal */
export function encodeFrame(value: unknown, maxFrame = DEFAULT_MAX_FRAME): Uint8Array {
  const body = utf8(canonicalize(value));
  if (body.length > maxFrame) protocol(`frame of ${body.length} bytes exceeds ${maxFrame}`);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

/**
 * Incremental frame decoder: push bytes, get complete JSON values. A frame
 * larger than `maxFrame` is refused from its length prefix, before buffering it.
 * @internal
 */
export function createFrameDecoder(maxFrame = DEFAULT_MAX_FRAME): (chunk: Uint8Array) => unknown[] {
  let buffer = new Uint8Array(0);
  return (chunk) => {
    const next = new Uint8Array(buffer.length + chunk.length);
    next.set(buffer, 0);
    next.set(chunk, buffer.length);
    buffer = next;
    const values: unknown[] = [];
    while (buffer.length >= 4) {
      const length = new DataView(buffer.buffer, buffer.byteOffset).getUint32(0, false);
      if (length > maxFrame) protocol(`frame of ${length} bytes exceeds ${maxFrame}`);
      if (buffer.length < 4 + length) break;
      const body = buffer.subarray(4, 4 + length);
      buffer = buffer.slice(4 + length);
      values.push(parseJson(fromUtf8(body), { maxBytes: maxFrame, maxDepth: 32 }));
    }
    return values;
  };
}

/** Validates a request frame. @throws IdentityError `ERR_IDENTITY_SIGNER_PROTOCOL`. @internal */
export function parseRequest(value: unknown): WireRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) protocol('request expected an object');
  const r = value as Record<string, unknown>;
  if (r.v !== 1) protocol('request "v" expected 1');
  if (!Number.isSafeInteger(r.id) || (r.id as number) < 0) protocol('request "id" expected a non-negative integer');
  const id = r.id as number;
  if (r.op === 'info') {
    if (Object.keys(r).length !== 3) protocol('info request has unexpected members');
    return { id, op: 'info' };
  }
  if (r.op === 'sign') {
    for (const k of Object.keys(r))
      if (!['v', 'id', 'op', 'message', 'context'].includes(k)) protocol(`unexpected member "${k}"`);
    let message: Uint8Array;
    try {
      message = fromBase64Url(r.message as string);
    } catch {
      return protocol('sign "message" expected canonical base64url');
    }
    return r.context === undefined
      ? { id, op: 'sign', message }
      : { id, op: 'sign', message, context: r.context as JsonValue };
  }
  return protocol(`unknown op ${JSON.stringify(r.op)}`);
}
