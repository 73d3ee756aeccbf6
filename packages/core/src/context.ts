import { createReplayCache, createTrustStore, type ReplayCache, type TrustStore } from '@agentguard/attestation';
import { type AuditLog, createRedactor, createSealer } from '@agentguard/audit';
import { isInProcessIdentity, type Signer } from '@agentguard/identity';
import type { PolicyEngine, RiskTier } from '@agentguard/policy';
import { type ApprovalGate, createApprovalGate } from './approvals.js';
import { type CredentialCheck, createCredentialCheck } from './credentials.js';
import { DEFAULT_DECISION_TIMEOUT_MS, type EngineView } from './decision.js';
import { EventEmitter, type GuardEvents } from './events.js';
import { extend } from './extend.js';
import { type Attestor, createAttestor } from './attest.js';
import { type ToolIsolation, toolIsolation } from './isolation.js';
import { type ControlHook, createControlHook } from './control.js';
import { recordRejections } from './control-rejections.js';
import { createMonitorHook, type MonitorHook } from './monitor.js';
import { createMonitorSuspension, type MonitorSuspension } from './monitor-suspension.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { DEFAULT_TIMEOUT_MS } from './options.js';
import { createTextCleaner, recordableArgs, type TextCleaner } from './text.js';
import type { GuardOptions, SealingOptions, ToolErrors, ToolSpec } from './types.js';

/** @internal The `args` (or `argsOmitted`) fields of a record, and how many redactions were made. */
export type RecordedArgs = (
  | { args: unknown }
  | { argsOmitted: { reason: 'too-large' | 'not-json'; bytes?: number } }
) & { redactions?: number; sealed?: number };

/** @internal Whose personal data a call's args hold, and the call they are recorded for (for sealing). */
export interface SealScope {
  readonly callId: string;
  /** The subject the caller named for this call, if any. */
  readonly subject: string | undefined;
}

/** @internal What every call of every tool of one guard shares: identity, log, trust, gate, redaction, gap. */
export interface GuardContext {
  readonly identity: Signer;
  readonly audit: AuditLog;
  readonly trust: TrustStore;
  readonly events: EventEmitter<GuardEvents>;
  /** The did:key of the guard's own agent. */
  readonly self: string;
  /** The name of the guard's own agent (its identity's `name`, else its did:key), as policies match it. */
  readonly selfName: string;
  readonly defaultSession: string;
  readonly gate: ApprovalGate;
  readonly replayCache: ReplayCache;
  readonly credentials: CredentialCheck;
  /** The guard's current policy (replaceable with `setPolicy`). */
  engine(): PolicyEngine;
  /**
   * The args as a record holds them: redacted (detectors, secret keys, the policy's redact fields), bounded. A
   * promise only when values are sealed (the sealer is async); the usual call waits for nothing.
   */
  redactArgs(view: EngineView, args: unknown, seal?: SealScope): RecordedArgs | Promise<RecordedArgs>;
  /** Redacts and bounds every free-text string written or returned. */
  readonly text: TextCleaner;
  /** What a model sees of a tool's error message, unless the tool says otherwise. */
  readonly toolErrors: ToolErrors;
  /** How long the policy engine may take per step. */
  readonly decisionTimeoutMs: number;
  /** The runtime monitor, when the guard has one. */
  readonly monitor: MonitorHook | undefined;
  /** The integrity checks, when the guard has them. */
  readonly attestor: Attestor | undefined;
  /** The operator control status (suspend, quarantine), when the guard has a channel. */
  readonly control: ControlHook | undefined;
  /** Stops recording the control channel's refusals (the guard's `close()`). */
  readonly stopControl: () => void;
  /** Agents a policy rule suspended in this guard (monitor suspension). */
  readonly suspension: MonitorSuspension;
  /**
   * Writes the pending `gap` record, if calls went unrecorded under a fail-open tool; undefined when there is
   * none (the usual case: the caller has nothing to wait for, not even a resolved promise).
   */
  flushGap(toolName: string): Promise<void> | undefined;
  /** Counts one record a fail-open tool could not write, for the next `gap` record. */
  noteGap(error: unknown): void;
  /**
   * Whether the guard's own calls carry a signed call envelope: only when its signer is not an identity of this
   * process (another process may decide by its own policy what to sign; see envelope.ts).
   */
  readonly ownEnvelopes: boolean;
  /** Whether an envelope of the guard's own signer was verified in full once (see envelope.ts). */
  ownSignerChecked(): boolean;
  markOwnSignerChecked(): void;
}

/** @internal A tool spec normalised once, when it is guarded. */
export interface GuardedToolDef<S extends StandardSchemaV1, R> {
  readonly name: string;
  readonly description: string | undefined;
  readonly schema: S;
  readonly tags: readonly string[];
  readonly labels: readonly string[];
  readonly timeoutMs: number;
  readonly sensitive: boolean;
  readonly auditFailure: 'closed' | 'open';
  readonly batched: boolean;
  readonly toolErrors: ToolErrors | undefined;
  /** What `execute` really runs with (its runner's mark), checked against a spec that restates it. */
  readonly isolation: ToolIsolation;
  /** The declared risk tier, replacing the computed one. */
  readonly risk: RiskTier | undefined;
  readonly execute: ToolSpec<S, R>['execute'];
}

/** @internal Normalises a (checked) tool spec into a frozen definition. */
export function toolDef<S extends StandardSchemaV1, R>(spec: ToolSpec<S, R>): GuardedToolDef<S, R> {
  // Read once: the function whose isolation is judged is the one that runs.
  const execute = spec.execute;
  const isolation = toolIsolation(spec.isolation, execute);
  return Object.freeze({
    name: spec.name,
    description: spec.description,
    schema: spec.schema,
    tags: Object.freeze([...(spec.tags ?? [])]),
    labels: Object.freeze([...(spec.labels ?? [])]),
    timeoutMs: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    sensitive: spec.sensitive === true,
    auditFailure: spec.auditFailure ?? 'closed',
    batched: spec.signing === 'batched',
    toolErrors: spec.toolErrors,
    isolation,
    risk: spec.risk,
    execute,
  });
}

/** @internal Builds the shared state of a guard from its (checked) options. */
export function createGuardContext(options: GuardOptions, engine: () => PolicyEngine): GuardContext {
  // Calls that could not be recorded under a fail-open tool; written as one `gap` record once the log works again.
  const gap = { missed: 0, since: '', lastError: '' };
  const identity = options.identity;
  const audit = options.audit;
  const trust = options.trust ?? createTrustStore([identity.id]);
  const events = new EventEmitter<GuardEvents>();
  const self = identity.id;
  const defaultSession = crypto.randomUUID();
  const gate = createApprovalGate(options.approvals);
  const redactor = options.redaction === false ? undefined : createRedactor(options.redaction ?? {});
  const text = createTextCleaner(redactor);
  // Fields the policy names in `redact` obligations are redacted on every call's record (the request is
  // written before the decision, so the union of all of them applies: over-redacting is the safe side).
  if (options.sealing !== undefined && options.redaction === false) {
    // Sealing works on what the redactor finds and marks: without it, arguments would be written in clear.
    throw new TypeError('"sealing" needs redaction: remove "redaction: false", or the args are written in clear');
  }
  const sealing = redactor === undefined ? undefined : checkSealing(options.sealing);
  const sealer = sealing === undefined ? undefined : createSealer({ keys: sealing.keys });
  function redactArgs(view: EngineView, args: unknown, seal?: SealScope): RecordedArgs | Promise<RecordedArgs> {
    if (redactor === undefined) return recordableArgs(args);
    // A call with no subject is redacted one way: nothing of it is kept for a reader.
    const subject = sealing === undefined || seal === undefined ? undefined : (seal.subject ?? sealing.subject?.(args));
    if (sealer === undefined || sealing === undefined || subject === undefined || seal === undefined) {
      const { value, findings } = redactor.redact(args, { fields: view.redactFields });
      const recorded = recordableArgs(value);
      return findings.length === 0 ? recorded : extend(recorded, { redactions: findings.length });
    }
    return sealArgs(redactor, sealer, sealing, { view, args, subject, callId: seal.callId });
  }
  async function sealArgs(
    redactor: ReturnType<typeof createRedactor>,
    sealer: ReturnType<typeof createSealer>,
    sealing: NonNullable<ReturnType<typeof checkSealing>>,
    call: { readonly view: EngineView; readonly args: unknown; readonly subject: string; readonly callId: string },
  ): Promise<RecordedArgs> {
    const { view, args, subject } = call;
    const sealFields = sealing.policyFields ? [...sealing.fields, ...view.redactFields] : sealing.fields;
    const redaction = redactor.redact(args, {
      seal: { fields: sealFields },
      ...(sealing.policyFields ? {} : { fields: view.redactFields }),
    });
    const { value, sealed } = await sealer.seal(redaction, { subject, callId: call.callId });
    const recorded = recordableArgs(value);
    const counts: { redactions?: number; sealed?: number } = {};
    if (redaction.findings.length > 0) counts.redactions = redaction.findings.length;
    if (sealed !== 0 && 'args' in recorded) counts.sealed = sealed;
    return extend(recorded, counts);
  }
  const replayCache = sharedReplayCache(options.replayCache);
  const credentials = createCredentialCheck(options.credentials);

  function flushGap(toolName: string): Promise<void> | undefined {
    return gap.missed === 0 ? undefined : writeGap(toolName);
  }
  async function writeGap(toolName: string): Promise<void> {
    const missed = { ...gap };
    gap.missed = 0;
    try {
      await audit.append(
        {
          type: 'gap',
          callId: `gap:${crypto.randomUUID()}`,
          agent: self,
          tool: toolName,
          data: {
            missed: missed.missed,
            since: missed.since,
            until: new Date().toISOString(),
            lastError: missed.lastError,
          },
        },
        identity,
      );
    } catch (error) {
      gap.missed += missed.missed;
      if (gap.since === '' || missed.since < gap.since) gap.since = missed.since;
      throw error;
    }
  }
  let ownSignerChecked = false;
  function noteGap(error: unknown): void {
    if (gap.missed === 0) gap.since = new Date().toISOString();
    gap.missed++;
    gap.lastError = text.clean(error);
  }

  return {
    identity,
    audit,
    trust,
    events,
    self,
    selfName: nameOf(identity),
    ownEnvelopes: !isInProcessIdentity(identity),
    defaultSession,
    gate,
    replayCache,
    credentials,
    engine,
    redactArgs,
    text,
    toolErrors: options.toolErrors ?? 'redacted',
    decisionTimeoutMs: options.decisionTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS,
    monitor: options.monitor === undefined ? undefined : createMonitorHook(options.monitor, text),
    attestor:
      options.attestation === undefined
        ? undefined
        : createAttestor(options.attestation, { audit, identity, policyHash: () => engine().hash }),
    control: options.control === undefined ? undefined : createControlHook(options.control),
    stopControl:
      options.control === undefined
        ? () => undefined
        : recordRejections(options.control.source, {
            audit,
            identity,
            text,
            clock: options.control.clock ?? Date.now,
          }),
    suspension: createMonitorSuspension({ audit, identity, text }),
    flushGap,
    noteGap,
    ownSignerChecked: () => ownSignerChecked,
    markOwnSignerChecked: () => {
      ownSignerChecked = true;
    },
  };
}

/** The sealing options, checked and normalised once. */
function checkSealing(sealing: SealingOptions | undefined):
  | {
      keys: SealingOptions['keys'];
      fields: readonly string[];
      policyFields: boolean;
      subject?: (args: unknown) => string | undefined;
    }
  | undefined {
  if (sealing === undefined) return undefined;
  if (typeof sealing !== 'object' || sealing === null) throw new TypeError('"sealing" expected an object');
  if (sealing.fields !== undefined && !Array.isArray(sealing.fields)) {
    throw new TypeError('"sealing.fields" expected an array of field paths');
  }
  if (sealing.subject !== undefined && typeof sealing.subject !== 'function') {
    throw new TypeError(`"sealing.subject" expected a function, got ${typeof sealing.subject}`);
  }
  if (sealing.policyFields !== undefined && typeof sealing.policyFields !== 'boolean') {
    throw new TypeError(`"sealing.policyFields" expected a boolean, got ${typeof sealing.policyFields}`);
  }
  const subject = sealing.subject;
  return Object.freeze({
    keys: sealing.keys,
    fields: Object.freeze([...(sealing.fields ?? [])]),
    policyFields: sealing.policyFields ?? true,
    ...(subject === undefined ? {} : { subject: (args: unknown) => subject(args) }),
  });
}

/** A signer's name (an identity's `name`), else its did:key. */
function nameOf(signer: Signer): string {
  const name = (signer as { name?: unknown }).name;
  return typeof name === 'string' ? name : signer.id;
}

/**
 * The cache incoming envelopes are remembered in: the caller's (checked once, here), or a fresh in-memory one.
 * Keys are namespaced, so one shared store can also hold policy state and approval nonces.
 * @throws TypeError when `replayCache` is given without a `checkAndRemember` function.
 */
function sharedReplayCache(given: ReplayCache | undefined): ReplayCache {
  if (given === undefined) return createReplayCache();
  const remember = (given as Partial<ReplayCache> | null)?.checkAndRemember;
  if (typeof remember !== 'function') {
    throw new TypeError(`"replayCache" expected an object with a checkAndRemember function, got ${typeof given}`);
  }
  return Object.freeze({
    checkAndRemember: (key: string, expiresAtMs: number, nowMs?: number) =>
      remember.call(given, `agentguard:call:${key}`, expiresAtMs, nowMs),
  });
}
