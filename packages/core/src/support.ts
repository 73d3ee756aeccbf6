import { digestArgs } from '@agentguard/attestation';
import type { Signer } from '@agentguard/identity';
import type { Decision, PolicyEngine } from '@agentguard/policy';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';
import type { GuardOptions, ToolSpec } from './types.js';

export const TOOL_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
export const DEFAULT_TIMEOUT_MS = 30_000;

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
}

export function checkSpec(spec: ToolSpec<StandardSchemaV1, unknown>): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('"spec" expected an object');
  if (typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) {
    throw new TypeError(`"name" expected 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(spec.name)}`);
  }
  if (!isStandardSchema(spec.schema)) throw new TypeError('"schema" expected a Standard Schema v1 (e.g. a zod schema)');
  if (typeof spec.execute !== 'function') throw new TypeError('"execute" expected a function');
  const timeout = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 2_147_483_647) {
    throw new RangeError(`"timeoutMs" expected a positive integer of milliseconds, got ${String(spec.timeoutMs)}`);
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function nameOf(signer: Signer): string {
  const name = (signer as { name?: unknown }).name;
  return typeof name === 'string' ? name : signer.id;
}

export function decisionRecord(decision: Decision): Record<string, unknown> {
  return {
    effect: decision.effect,
    ruleId: decision.ruleId,
    reason: decision.reason,
    matched: [...decision.matched],
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
  let size: number;
  try {
    size = value === undefined ? 0 : new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    size = Number.POSITIVE_INFINITY;
  }
  if (size > maxBytes) {
    throw Object.assign(new Error(`result of ${size} bytes is over the policy's cap of ${maxBytes}`), {
      agentguardStop: 'too-large',
    });
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
