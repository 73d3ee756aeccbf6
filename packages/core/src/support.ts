import { digestArgs } from '@agentguard/attestation';
import type { Signer } from '@agentguard/identity';
import { canonicalBytes } from '@agentguard/statement';
import type { Decision, PolicyEngine } from '@agentguard/policy';
import { checkMonitorOptions } from './monitor.js';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';
import { type TextCleaner, textOf } from './text.js';
import { markStop } from './timeout.js';
import type { GuardOptions, ToolSpec } from './types.js';

export const TOOL_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
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
  const ms = options.decisionTimeoutMs;
  if (ms !== undefined && (!Number.isInteger(ms) || ms <= 0 || ms > MAX_MS)) {
    throw new RangeError(`"decisionTimeoutMs" expected a positive integer of milliseconds, got ${String(ms)}`);
  }
}

export function checkSpec(spec: ToolSpec<StandardSchemaV1, unknown>): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('"spec" expected an object');
  if (typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) {
    throw new TypeError(`"name" expected 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(spec.name)}`);
  }
  if (!isStandardSchema(spec.schema)) throw new TypeError('"schema" expected a Standard Schema v1 (e.g. a zod schema)');
  if (typeof spec.execute !== 'function') throw new TypeError('"execute" expected a function');
  checkToolErrors(spec.toolErrors, 'toolErrors');
  checkLabels(spec.tags, 'tags');
  checkLabels(spec.labels, 'labels');
  const timeout = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 2_147_483_647) {
    throw new RangeError(`"timeoutMs" expected a positive integer of milliseconds, got ${String(spec.timeoutMs)}`);
  }
}

/** The message of anything thrown, never throwing itself (a hostile getter or `toString`). Not yet cleaned. */
export function message(error: unknown): string {
  return textOf(error);
}

export function nameOf(signer: Signer): string {
  const name = (signer as { name?: unknown }).name;
  return typeof name === 'string' ? name : signer.id;
}

/** A (validated) decision as a record holds it: texts redacted and bounded, at most 64 matched rule ids. */
export function decisionRecord(decision: Decision, text: TextCleaner): Record<string, unknown> {
  return {
    effect: decision.effect,
    ruleId: decision.ruleId === null ? null : text.clean(decision.ruleId, 256),
    reason: text.clean(decision.reason),
    matched: text.ids(decision.matched),
    mode: decision.mode,
    ...(decision.wouldDeny === undefined ? {} : { wouldDeny: decision.wouldDeny }),
  };
}

export function resultDigest(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return digestArgs(value);
  } catch {
    return null;
  }
}

export function withCause<T extends object>(outcome: T, cause: unknown): T {
  // Kept off the JSON shape (non-enumerable) so the denial a model sees never holds a stack.
  Object.defineProperty(outcome, 'cause', { value: cause, enumerable: false });
  return outcome;
}

export function checkResultSize(value: unknown, maxBytes: number): void {
  if (value === undefined) return;
  let size: number;
  try {
    // Canonical JSON, not JSON.stringify: a toJSON method, a Map or a getter could show the cap one size and
    // the framework another. A result that is not plain JSON cannot be bounded, so a capped call refuses it.
    size = canonicalBytes(value).length;
  } catch {
    throw markStop(
      new Error(`result is not plain JSON, so its size cannot be held to the policy's cap of ${maxBytes} bytes`),
      'too-large',
    );
  }
  if (size > maxBytes) {
    throw markStop(new Error(`result of ${size} bytes is over the policy's cap of ${maxBytes}`), 'too-large');
  }
}

export function jsonSchemaOf(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  const convert = schema['~standard'].jsonSchema?.input;
  if (typeof convert !== 'function') return undefined;
  try {
    return convert({ target: 'draft-2020-12' });
  } catch {
    return undefined;
  }
}
