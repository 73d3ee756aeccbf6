import { createReplayCache, createTrustStore, type ReplayCache, type TrustStore } from '@agentguard/attestation';
import { type AuditLog, createRedactor } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { PolicyEngine } from '@agentguard/policy';
import { type ApprovalGate, createApprovalGate } from './approvals.js';
import { type CredentialCheck, createCredentialCheck } from './credentials.js';
import { DEFAULT_DECISION_TIMEOUT_MS, type EngineView } from './decision.js';
import { EventEmitter, type GuardEvents } from './events.js';
import { type Attestor, createAttestor } from './attest.js';
import { type ToolIsolation, toolIsolation } from './isolation.js';
import { createMonitorHook, type MonitorHook } from './monitor.js';
import { createMonitorSuspension, type MonitorSuspension } from './monitor-suspension.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { DEFAULT_TIMEOUT_MS } from './options.js';
import { createTextCleaner, recordableArgs, type TextCleaner } from './text.js';
import type { GuardOptions, ToolErrors, ToolSpec } from './types.js';

/** @internal The `args` (or `argsOmitted`) fields of a record, and how many redactions were made. */
export type RecordedArgs = (
  | { args: unknown }
  | { argsOmitted: { reason: 'too-large' | 'not-json'; bytes?: number } }
) & { redactions?: number };

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
  /** The args as a record holds them: redacted (detectors, secret keys, the policy's redact fields), bounded. */
  redactArgs(view: EngineView, args: unknown): RecordedArgs;
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
  /** Agents a policy rule suspended in this guard (monitor suspension). */
  readonly suspension: MonitorSuspension;
  /** Writes the pending `gap` record, if calls went unrecorded under a fail-open tool. */
  flushGap(toolName: string): Promise<void>;
  /** Counts one record a fail-open tool could not write, for the next `gap` record. */
  noteGap(error: unknown): void;
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
  function redactArgs(view: EngineView, args: unknown): RecordedArgs {
    if (redactor === undefined) return recordableArgs(args);
    const { value, findings } = redactor.redact(args, { fields: view.redactFields });
    const recorded = recordableArgs(value);
    return findings.length === 0 ? recorded : { ...recorded, redactions: findings.length };
  }
  const replayCache = sharedReplayCache(options.replayCache);
  const credentials = createCredentialCheck(options.credentials);

  async function flushGap(toolName: string): Promise<void> {
    if (gap.missed === 0) return;
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
    suspension: createMonitorSuspension({ audit, identity, text }),
    flushGap,
    noteGap,
    ownSignerChecked: () => ownSignerChecked,
    markOwnSignerChecked: () => {
      ownSignerChecked = true;
    },
  };
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
