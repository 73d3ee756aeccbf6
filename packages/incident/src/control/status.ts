import { IN_TOTO_PAYLOAD_TYPE, isToolName, isToolPattern, STATEMENT_V1_TYPE } from '@agentguard/statement';
import { z } from 'zod';

/**
 * The control status wire format: an in-toto Statement v1 in a DSSE envelope (payload type
 * `application/vnd.in-toto+json`), signed by an operator key. Its one subject is the control channel (named
 * after it, with the SHA-256 of the canonical JSON of its measures); its predicate holds the sequence number,
 * the validity window, the issuer and the measures in force. A command (suspend, quarantine, resume) is a new
 * status with a greater sequence number: the whole state, never a delta, so a missed one is caught up by the
 * next one read.
 */

/** `predicateType` of a control status; the `v1` is the version of {@link ControlPredicate}. */
export const CONTROL_PREDICATE_TYPE = 'https://agentguard.dev/control/status/v1';
/** DSSE payload type of a control status: an in-toto Statement in JSON. */
export const CONTROL_PAYLOAD_TYPE = IN_TOTO_PAYLOAD_TYPE;
/** Largest status payload accepted, in bytes. */
export const MAX_STATUS_PAYLOAD_BYTES = 65_536;
/** Most measures one status holds. */
export const MAX_MEASURES = 256;

const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A channel name: printable ASCII without spaces, e.g. `prod` or `eu-west/payments`. */
export const CHANNEL = /^[\x21-\x7e]{1,128}$/;

const timestamp = z
  .string()
  .regex(TIMESTAMP, 'expected RFC 3339 UTC with milliseconds')
  .refine((t) => Number.isFinite(Date.parse(t)) && new Date(Date.parse(t)).toISOString() === t, 'not a real instant');

const reason = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');

/** @internal What a measure applies to. */
export const scopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('agent'), value: z.string().regex(DID_KEY, 'expected an Ed25519 did:key') }),
  z.strictObject({
    kind: z.literal('tool'),
    value: z.string().refine((v) => isToolName(v) || isToolPattern(v), 'expected a tool name or pattern'),
  }),
  z.strictObject({ kind: z.literal('tag'), value: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/) }),
]);

/** @internal One measure in force. */
export const measureSchema = z.strictObject({
  kind: z.enum(['suspend', 'quarantine']),
  scope: scopeSchema,
  reason: reason.optional(),
});

/** @internal What the operator signs (the statement's predicate). */
export const controlPredicateSchema = z.strictObject({
  channel: z.string().regex(CHANNEL),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  issuer: z.string().regex(DID_KEY, 'expected an Ed25519 did:key'),
  issuedAt: timestamp,
  expiresAt: timestamp,
  measures: z.array(measureSchema).max(MAX_MEASURES),
});

/** @internal The signed payload. */
export const controlStatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_V1_TYPE),
  subject: z.tuple([
    z.strictObject({
      name: z.string().regex(CHANNEL),
      digest: z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    }),
  ]),
  predicateType: z.literal(CONTROL_PREDICATE_TYPE),
  predicate: controlPredicateSchema,
});

/** What a measure applies to: everything, one agent (did:key), a tool (name or `prefix.*`), or a tag. */
export type StatusScope = z.infer<typeof scopeSchema>;
/** One measure: `suspend` refuses matching calls; `quarantine` decides them with the read-only preset. */
export type StatusMeasure = z.infer<typeof measureSchema>;
/** What an operator signs: the predicate of a control statement. */
export type ControlPredicate = z.infer<typeof controlPredicateSchema>;
/** A control statement: in-toto Statement v1, subject the channel, predicate {@link ControlPredicate}. */
export type ControlStatement = z.infer<typeof controlStatementSchema>;
