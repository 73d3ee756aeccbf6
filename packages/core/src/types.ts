import type { ReplayCache, TrustStore } from '@agentguard/attestation';
import type { AuditLog, RedactorOptions, SubjectKeyStore } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { IsolationLevel, PolicyDocument, PolicyEngine, RiskTier } from '@agentguard/policy';
import type { ApprovalOptions } from './approvals.js';
import type { CredentialOptions } from './credentials.js';
import type { AttestationOptions } from './attest.js';
import type { ControlOptions } from './control.js';
import type { MonitorOptions } from './monitor.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/**
 * What a model (and the caller) sees of a tool's error message in the `Denial` of a failed call
 * (`ERR_GUARD_TOOL_FAILED`). The audit log always records the redacted text; every form is bounded to
 * `TEXT_MAX_CHARS` with a visible marker.
 * - `redacted`: the message with secrets and personal data replaced by typed markers.
 * - `generic`: no detail at all (`tool failed (details withheld; see the audit log, call <id>)`).
 * - `verbatim`: the message as thrown (bounded, not redacted). Opt-in, for tools whose errors are known safe.
 */
export type ToolErrors = 'redacted' | 'generic' | 'verbatim';

/** What a guarded tool's function receives besides its arguments. */
export interface ToolContext {
  /** The id of this call, as in the envelope and the audit log. */
  readonly callId: string;
  /** The did:key of the calling agent. */
  readonly agent: string;
  /** Aborted when the call times out or the caller aborts it. */
  readonly signal: AbortSignal;
  /**
   * The call's signed DSSE envelope, when the call came with one or the guard made one: a caller's envelope
   * (verified), or the guard's own when its signer is another process. Absent otherwise: the guard's signed
   * audit record authenticates its own calls, so an identity of this process signs no envelope a tool may
   * never forward. Use {@link ToolContext.signEnvelope} to get one to forward.
   */
  readonly envelope?: unknown;
  /**
   * The call's DSSE envelope, to forward to another process that verifies callers (e.g. in MCP's `_meta`):
   * {@link ToolContext.envelope} when there is one, else one the guard's identity signs now, once per call,
   * over the args as the guard received them, this call's id, the tool's name and the policy hash it was
   * decided under. Only while the call runs: once it has ended (completed, failed, timed out), a call that has
   * no envelope yet gets a rejection, never a fresh authority.
   * @example
   * ```ts
   * const sendMail = ag.guard({
   *   name: 'send_mail',
   *   schema,
   *   execute: async (args, ctx) => mailService.send(args, { envelope: await ctx.signEnvelope() }),
   * });
   * ```
   */
  readonly signEnvelope: () => Promise<unknown>;
}

/** A tool to guard: its name, argument schema and function. */
export interface ToolSpec<S extends StandardSchemaV1, R> {
  /** 1 to 128 characters of `A-Z a-z 0-9 _ . : -`. */
  readonly name: string;
  readonly description?: string;
  /** Any Standard Schema v1 (zod 4, valibot, arktype); arguments are validated with it before anything else. */
  readonly schema: S;
  /** Resource tags policies match on: `read`, `write`, `destructive`, `external`, `pii`, `payment`, … */
  readonly tags?: readonly string[];
  /** Data-flow labels, e.g. `reads:pii`, `egress`. */
  readonly labels?: readonly string[];
  /**
   * Milliseconds the tool may run before the call fails with `ERR_GUARD_TOOL_TIMEOUT`.
   * @default 30_000
   */
  readonly timeoutMs?: number;
  /**
   * How calls are authenticated. `per-call`: each audit record is signed by the agent, and the call's envelope
   * (when it has one: a caller's, or the guard's own when its signer is another process) is verified. `batched` (throughput mode, for high-rate tools): no envelope, and records
   * are hash-chained without their own signature, covered by the log's next signed checkpoint (every N
   * records, every T ms, and at close), so each call is vouched for through its inclusion proof, but only
   * once that checkpoint is written. Needs an audit log with a checkpoint signer.
   * @default 'per-call'
   */
  readonly signing?: 'per-call' | 'batched';
  /**
   * What happens when the audit log cannot write. `closed`: the call is refused (or its result withheld)
   * with `ERR_GUARD_AUDIT_FAILED`. `open`: the call goes on unrecorded, and a `gap` record saying how many
   * events were lost, since when, is written as soon as the log takes writes again. Opt-in per tool.
   * @default 'closed'
   */
  readonly auditFailure?: 'closed' | 'open';
  /**
   * Whether the audit log records only the digest of the arguments, not their value.
   * @default false
   */
  readonly sensitive?: boolean;
  /**
   * What a model sees of this tool's error messages (see {@link ToolErrors}).
   * @default the guard's `toolErrors` ('redacted')
   */
  readonly toolErrors?: ToolErrors;
  /**
   * How the tool is isolated: `none` (in this process), `process` or `bwrap` (a sandbox runner of
   * `@agentguard/sandbox`). Read from `execute` itself, which a runner marks; giving it only restates it, and a
   * value that differs (a plain function declared `bwrap`, a wrapped runner) is refused when the tool is
   * guarded. A policy's `isolation` obligation is checked against it on every call.
   * @default what `execute` runs with: the runner's level, or `none`
   */
  readonly isolation?: IsolationLevel;
  /**
   * The tool's risk tier (`low`, `medium`, `high`, `critical`), replacing the one the guard computes from its
   * tags, labels, sensitivity, isolation and whether the policy lets it run without approval (`toolRiskTier`
   * of `@agentguard/policy`). The tier is in every `call.requested` record and in the request the policy
   * decides on, so rules can match it with `tiers`.
   * @default computed
   */
  readonly risk?: RiskTier;
  /**
   * The tool itself. Runs only when the call is allowed, with the schema's output: deep-copied, frozen plain
   * JSON, the very value the policy decided on, the approval bound and the audit log recorded (its digest is
   * `argsDigest`). A schema whose output is not plain JSON (a Date, a Map, a class instance) is refused with
   * `ERR_GUARD_SCHEMA_OUTPUT_INVALID`.
   */
  execute(args: StandardSchemaV1.InferOutput<S>, ctx: ToolContext): R | Promise<R>;
}

/** Per-call options. */
export interface CallOptions {
  /**
   * Id of the call (a framework's tool-call id).
   * @default a random UUID
   */
  readonly callId?: string;
  /** Aborts the call. */
  readonly signal?: AbortSignal;
  /**
   * A call envelope signed by the caller in another process (a DSSE envelope from `signCall`). The guard
   * then signs nothing itself: it verifies the envelope against `trust` (the caller's key, the args digest,
   * freshness, and once only), and the caller's did:key becomes the agent the policy decides for.
   * @default none: the guard signs the call with its own identity
   */
  readonly envelope?: unknown;
  /**
   * A signed approval of this call (from `createApproval` in `@agentguard/policy`), for a call the
   * policy sends to a human. Bound to the call id, tool, args digest and policy hash; accepted once.
   */
  readonly approval?: unknown;
  /**
   * The session the call belongs to: data-flow taint and per-session limits are kept per session.
   * @default the guard's own session (one per `createGuard`)
   */
  readonly session?: string;
  /**
   * The data subject whose personal data the args hold (a customer id, an account): with the guard's `sealing`,
   * what redaction finds is sealed for this subject rather than marked one way. Never written: records name the
   * subject by a keyed pseudonym.
   * @default `sealing.subject(args)`, else none (redacted one way)
   */
  readonly subject?: string;
}

/**
 * Sealing of personal data in recorded arguments (crypto-shredding): what redaction would replace by a one-way
 * marker is encrypted for the call's data subject instead, with the subject's key from `keys`, so an authorised
 * reader can read it (`unsealRecord`) until the subject is erased (`eraseSubject`, `agentguard erase`).
 * Secrets (secret keys, token detectors) are still marked one way.
 */
export interface SealingOptions {
  /** The subjects' keys: `createFileKeyStore` from `@agentguard/audit/node`, or your own `SubjectKeyStore`. */
  readonly keys: SubjectKeyStore;
  /** Fields sealed whole (JSON pointers or dotted paths, as redaction's `fields`). @default [] */
  readonly fields?: readonly string[];
  /** Whether the fields the policy names in `redact` obligations are sealed (rather than marked). @default true */
  readonly policyFields?: boolean;
  /** The subject of a call that names none (`CallOptions.subject`). A throw fails the call closed. @default none */
  readonly subject?: (args: unknown) => string | undefined;
}

/** What the guard needs: who acts, what decides, where outcomes go. */
export interface GuardOptions {
  /**
   * The agent's signer; every audit record of its calls is signed with it. A signer that is not an identity of
   * this process (`isInProcessIdentity`) also signs a call envelope for every call, which it may refuse by its own
   * policy.
   */
  readonly identity: Signer;
  /**
   * A policy engine from `@agentguard/policy`, or a policy document to build one from. The document is typed
   * ({@link PolicyDocument}: an unknown field or a misspelt effect is a compile error) and still validated when
   * the guard is made. JSON read at run time (`unknown`) goes through `parsePolicy` or `createPolicyEngine`
   * first, which validate it.
   */
  readonly policy: PolicyEngine | PolicyDocument;
  /** The audit log every call is recorded in. */
  readonly audit: AuditLog;
  /**
   * Keys whose call envelopes are accepted.
   * @default a store trusting only `identity`
   */
  readonly trust?: TrustStore;
  /**
   * Where incoming call envelopes are remembered, so that each is accepted once. Several servers that accept
   * the same callers must share one: a `createRedisStateStore({ client })` of `@agentguard/policy/redis` (any
   * policy `StateStore` is a `ReplayCache`), or any `ReplayCache` of `@agentguard/attestation`. Keys are
   * prefixed `agentguard:call:`. A cache that throws or rejects refuses the call (fail closed).
   * @default an in-memory cache of this guard alone (`createReplayCache()`)
   */
  readonly replayCache?: ReplayCache;
  /**
   * Who may approve calls the policy sends to a human (`require_approval`), and how to ask them.
   * @default none: such calls end with `ERR_GUARD_APPROVAL_REQUIRED`
   */
  readonly approvals?: ApprovalOptions;
  /**
   * The agent's credential from an authority, and the authorities to check it against. Attributes of a
   * valid credential (owner, environment, risk tier, scopes, delegation depth) reach the policy.
   * @default none: calls carry no credential and the policy sees only the agent's id and name
   */
  readonly credentials?: CredentialOptions;
  /**
   * Redaction of the arguments written to the audit log, and of every free text written or returned (reasons,
   * issue paths and messages, tool error messages): secrets and personal data found by detectors become typed
   * markers with a keyed hash, and so do the fields the policy names in `redact` obligations. Give a `key` to
   * correlate markers across restarts. `false` turns off the redaction of arguments only: free texts are
   * still scanned by the built-in detectors (with a random key).
   * @default on, every built-in detector, a random key per guard
   */
  readonly redaction?: RedactorOptions | false;
  /**
   * Sealing of personal data in recorded arguments, for calls with a data subject (see {@link SealingOptions});
   * needs redaction on.
   * @default none: personal data is redacted one way
   */
  readonly sealing?: SealingOptions;
  /**
   * What a model (and the caller) sees of a tool's error message; a tool's own `toolErrors` wins.
   * Reasons and error texts are always redacted in the audit log, and bounded everywhere.
   * @default 'redacted'
   */
  readonly toolErrors?: ToolErrors;
  /**
   * Milliseconds the policy engine may take for one step of a call (`decide`, `hold`, `release`); a call
   * whose engine does not answer in time is denied (`ERR_GUARD_POLICY_DENIED`).
   * @default 30_000
   */
  readonly decisionTimeoutMs?: number;
  /**
   * A runtime monitor (e.g. the detector of `@agentguard/monitor`). Every call is scored after its arguments
   * are validated and before the policy decides; the verdict reaches the policy as `request.monitor`, and the
   * policy decides what it does (rules with a `monitor` condition). A flagged call, or a monitor that fails,
   * writes a signed `monitor.alert` record before the decision. After a tool returns, its result is fed to
   * the monitor (`observe`), which can never change the call's outcome.
   * @default none: calls are not scored, and rules with a `monitor` condition are undecided
   */
  readonly monitor?: MonitorOptions;
  /**
   * Integrity checks: at the first call, every `everyMs` and on `ag.attest()`, the guard writes a signed
   * `attestation` record with the digest of each guarded tool's definition (name, description, input JSON
   * Schema) and the policy hash, compared with `pinned`; a change is recorded, and with `onChange: 'deny'`
   * (the default) every call of a changed tool is refused (`ERR_GUARD_ATTESTATION_CHANGED`).
   * @default none: nothing is attested
   */
  readonly attestation?: AttestationOptions;
  /**
   * The operator's control channel (kill switch): a source of operator-signed status documents, e.g.
   * `createControlSource` of `@agentguard/incident`. Every call is checked against the last verified status
   * after the caller is known and before the policy decides: a `suspend` measure covering the call refuses it
   * (`ERR_GUARD_SUSPENDED`); a `quarantine` measure covering it has it decided by the read-only preset; and
   * while the status is older than `maxAgeMs` (or expired, or absent) high-risk tools are refused
   * (`ERR_GUARD_CONTROL_STALE`). Each newly adopted status is written as a `control.status` record.
   * @default none: no operator control
   */
  readonly control?: ControlOptions;
}
