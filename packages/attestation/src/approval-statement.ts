import type { Envelope } from '@agentguard/statement';
import { z } from 'zod';
import type { ApprovalErrorCode } from './errors.js';

export type { ApprovalErrorCode };

/**
 * The approval wire format: the statement an approver signs. The DSSE envelope
 * around it, its pre-authentication encoding and the args digest are those of
 * `@agentguard/statement`, shared with call envelopes.
 */

/** DSSE payload type of an approval statement. */
export const APPROVAL_PAYLOAD_TYPE = 'application/vnd.agentguard.approval+json';
/** `_type` of an approval statement; the `v1` is the version of {@link ApprovalStatement}. */
export const APPROVAL_STATEMENT_TYPE = 'https://agentguard.dev/approval/v1';
/** Largest approval payload accepted, in bytes. */
export const MAX_APPROVAL_PAYLOAD_BYTES = 12_288;

/** The statement an approver signs. */
export const approvalStatementSchema = z
  .object({
    _type: z.literal(APPROVAL_STATEMENT_TYPE),
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

/** An approval statement. */
export type ApprovalStatement = z.infer<typeof approvalStatementSchema>;
/** A signed approval: a DSSE envelope of {@link APPROVAL_PAYLOAD_TYPE} with exactly one signature. */
export type SignedApproval = Envelope;

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
