import { type Envelope, IN_TOTO_PAYLOAD_TYPE, STATEMENT_V1_TYPE } from '@agentguard/statement';
import { z } from 'zod';
import type { ApprovalErrorCode } from './errors.js';
import { callIdSchema, timestamp, toolNameSchema } from './schema.js';

export type { ApprovalErrorCode };

/**
 * The approval wire format: an in-toto Statement v1 in a DSSE envelope (payload type
 * `application/vnd.in-toto+json`, as call envelopes), whose one subject is the call's arguments (named
 * after the tool, with their SHA-256) and whose predicate says who decided what about which call, until
 * when. PAE, the envelope parser, the statement parser and the args digest are those of
 * `@agentguard/statement`, shared with call envelopes.
 */

/** `predicateType` of an approval statement; the `v1` is the version of {@link ApprovalPredicate}. */
export const APPROVAL_PREDICATE_TYPE = 'https://agentguard.dev/approval/v1';
/** @internal DSSE payload type of an approval: an in-toto Statement in JSON. */
export const APPROVAL_PAYLOAD_TYPE = IN_TOTO_PAYLOAD_TYPE;
/** @internal Largest approval payload accepted, in bytes. */
export const MAX_APPROVAL_PAYLOAD_BYTES = 12_288;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;

/** @internal What an approver signs about the call (the statement's predicate). */
export const approvalPredicateSchema = z.strictObject({
  callId: callIdSchema,
  /** The calling agent's did:key, when the approver bound the approval to it. */
  agent: z.string().regex(DID_KEY, 'expected an Ed25519 did:key').optional(),
  approver: z.string().regex(DID_KEY, 'expected an Ed25519 did:key'),
  decision: z.enum(['approve', 'reject']),
  policyHash: z.string().regex(DIGEST),
  issuedAt: timestamp,
  expiresAt: timestamp,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
  reason: z.string().max(1024).optional(),
});

/** @internal The signed payload: an in-toto Statement v1 whose one subject is the tool and its args digest. */
export const approvalStatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_V1_TYPE),
  subject: z.tuple([
    z.strictObject({
      /** The tool the approved call runs. */
      name: toolNameSchema,
      /** SHA-256 of the canonical JSON of the call's arguments. */
      digest: z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    }),
  ]),
  predicateType: z.literal(APPROVAL_PREDICATE_TYPE),
  predicate: approvalPredicateSchema,
});

/** What an approver signs about one call: the predicate of an approval statement. */
export type ApprovalPredicate = z.infer<typeof approvalPredicateSchema>;
/** An approval statement: in-toto Statement v1, subject `{ name: tool, digest: { sha256 } }`, predicate {@link ApprovalPredicate}. */
export type ApprovalStatement = z.infer<typeof approvalStatementSchema>;
/** A signed approval: a DSSE envelope of an approval statement with exactly one signature. */
export type SignedApproval = Envelope;

/** The call an approval is about. */
export interface ApprovalSubject {
  readonly callId: string;
  readonly tool: string;
  /** The call's arguments; the approval binds their canonical SHA-256 digest. */
  readonly args: unknown;
  /** The hash of the policy that asked for approval. */
  readonly policyHash: string;
  /**
   * The calling agent's did:key. When creating, binds the approval to that agent; when verifying, an
   * approval bound to an agent counts only for a call of that agent (and never when this is not given).
   * @default not bound
   */
  readonly agent?: string;
}

/** The outcome of `verifyApproval`. */
export type ApprovalResult =
  | { readonly ok: true; readonly approver: string; readonly statement: ApprovalStatement }
  | {
      readonly ok: false;
      readonly code: ApprovalErrorCode;
      readonly reason: string;
      /** Set once the signature is known good, so a refusal can be audited with the approver's identity. */
      readonly approver?: string;
    };
