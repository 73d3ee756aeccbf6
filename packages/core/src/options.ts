import { isToolName } from '@agentguard/statement';
import { isRiskTier, type PolicyEngine, RISK_TIERS } from '@agentguard/policy';
import { checkAttestationOptions } from './attest.js';
import { checkControlOptions } from './control.js';
import { checkMonitorOptions } from './monitor.js';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';
import type { GuardOptions, ToolSpec } from './types.js';

/** The checks of what `createGuard` and `guard()` are given: misuse throws TypeError or RangeError. */

export const DEFAULT_TIMEOUT_MS = 30_000;
/** A call id, as the call envelope and the audit log accept it: 1-256 printable ASCII characters, no space. */
export const CALL_ID = /^[\x21-\x7e]{1,256}$/;
const TOOL_ERRORS: ReadonlySet<unknown> = new Set(['redacted', 'generic', 'verbatim']);
const MAX_MS = 2_147_483_647;

function checkToolErrors(value: unknown, name: string): void {
  if (value !== undefined && !TOOL_ERRORS.has(value)) {
    throw new TypeError(`"${name}" expected 'redacted', 'generic' or 'verbatim', got ${JSON.stringify(String(value))}`);
  }
}

function checkLabels(value: unknown, name: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length > 64 || !value.every((v) => typeof v === 'string' && v.length <= 128)) {
    throw new TypeError(`"${name}" expected at most 64 strings of at most 128 characters`);
  }
}

export function isPolicyEngine(value: unknown): value is PolicyEngine {
  return (
    typeof (value as PolicyEngine | null)?.decide === 'function' &&
    typeof (value as PolicyEngine).hold === 'function' &&
    typeof (value as PolicyEngine).release === 'function' &&
    typeof (value as PolicyEngine).hash === 'string'
  );
}

export function checkOptions(options: GuardOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { identity, audit } = options;
  if (typeof identity?.sign !== 'function' || typeof identity.id !== 'string') {
    throw new TypeError('"identity" expected a Signer (createIdentity())');
  }
  if (typeof audit?.append !== 'function') throw new TypeError('"audit" expected an AuditLog (createAuditLog())');
  checkToolErrors(options.toolErrors, 'toolErrors');
  checkMonitorOptions(options.monitor);
  checkControlOptions(options.control);
  checkAttestationOptions(options.attestation);
  const ms = options.decisionTimeoutMs;
  if (ms !== undefined && (!Number.isInteger(ms) || ms <= 0 || ms > MAX_MS)) {
    throw new RangeError(`"decisionTimeoutMs" expected a positive integer of milliseconds, got ${String(ms)}`);
  }
}

export function checkSpec(spec: ToolSpec<StandardSchemaV1, unknown>): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('"spec" expected an object');
  if (typeof spec.name !== 'string' || !isToolName(spec.name)) {
    throw new TypeError(`"name" expected 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(spec.name)}`);
  }
  if (!isStandardSchema(spec.schema)) throw new TypeError('"schema" expected a Standard Schema v1 (e.g. a zod schema)');
  if (typeof spec.execute !== 'function') throw new TypeError('"execute" expected a function');
  checkToolErrors(spec.toolErrors, 'toolErrors');
  checkLabels(spec.tags, 'tags');
  checkLabels(spec.labels, 'labels');
  if (spec.risk !== undefined && !isRiskTier(spec.risk)) {
    throw new TypeError(`"risk" expected one of ${RISK_TIERS.join(', ')}, got ${JSON.stringify(spec.risk)}`);
  }
  // A value outside its few choices is refused, never read as the default: `sensitive: 'yes'` read as false would
  // record the args the tool's author meant to keep out of the log.
  oneOf(spec.signing, 'signing', ['per-call', 'batched']);
  oneOf(spec.auditFailure, 'auditFailure', ['closed', 'open']);
  oneOf(spec.sensitive, 'sensitive', [true, false]);
  if (spec.description !== undefined && typeof spec.description !== 'string') {
    throw new TypeError(`"description" expected a string, got ${typeof spec.description}`);
  }
  const timeout = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 2_147_483_647) {
    throw new RangeError(`"timeoutMs" expected a positive integer of milliseconds, got ${String(spec.timeoutMs)}`);
  }
}

/** Refuses an option that is given and is none of `choices`. */
function oneOf(value: unknown, name: string, choices: readonly unknown[]): void {
  if (value !== undefined && !choices.includes(value)) {
    const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
    throw new TypeError(`"${name}" expected ${choices.map((c) => JSON.stringify(c)).join(' or ')}, got ${got}`);
  }
}
