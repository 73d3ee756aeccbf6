import { canonicalBytes, concatBytes, sha256Hex, utf8 } from '@agentguard/identity';
import { z } from 'zod';
import type { ApprovalErrorCode } from './errors.js';

export type { ApprovalErrorCode };

/**
 * The approval wire format: the statement an approver signs, the DSSE
 * envelope around it, and the digest and pre-authentication encoding both
 * sides compute.
 */

/** DSSE payload type of an approval statement. */
export const APPROVAL_PAYLOAD_TYPE = 'application/vnd.agentguard.approval+json';
export const STATEMENT_TYPE = 'https://agentguard.dev/approval/v1';

/** The statement an approver signs. */
export const approvalStatementSchema = z
  .object({
    _type: z.literal(STATEMENT_TYPE),
    approver: z.string().startsWith('did:key:z').max(128),
    decision: z.enum(['approve', 'reject']),
    callId: z.string().min(1).max(256),
    tool: z.string().min(1).max(256),
    argsDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    policyHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
    reason: z.string().max(1024).optional(),
  })
  .strict();

/** A DSSE envelope holding a signed approval statement. */
export const signedApprovalSchema = z
  .object({
    payloadType: z.literal(APPROVAL_PAYLOAD_TYPE),
    payload: z.string().max(16_384),
    signatures: z.array(z.object({ keyid: z.string().max(256), sig: z.string().max(128) }).strict()).length(1),
  })
  .strict();

/** An approval statement. */
export type ApprovalStatement = z.infer<typeof approvalStatementSchema>;
/** A signed approval (DSSE envelope). */
export type SignedApproval = z.infer<typeof signedApprovalSchema>;

/** The call an approval is about. */
export interface ApprovalSubject {
  readonly callId: string;
  readonly tool: string;
  /** The call's arguments; the approval binds their canonical SHA-256 digest. */
  readonly args: unknown;
  /** The hash of the policy that asked for approval. */
  readonly policyHash: string;
}

/** The outcome of {@link verifyApproval}. */
export type ApprovalResult =
  | { readonly ok: true; readonly approver: string; readonly statement: ApprovalStatement }
  | {
      readonly ok: false;
      readonly code: ApprovalErrorCode;
      readonly reason: string;
      /** Set once the signature is known good, so a refusal can be audited with the approver's identity. */
      readonly approver?: string;
    };

/** `sha256:` and the hex SHA-256 of the RFC 8785 canonical JSON of `args`. */
export function argsDigest(args: unknown): string {
  return `sha256:${sha256Hex(canonicalBytes(args))}`;
}

/** DSSE v1 pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes(utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload);
}
