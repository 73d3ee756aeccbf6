import { canonicalBytes, sha256Hex } from '@agentguard/identity';
import type { z } from 'zod';
import { PolicyError, type PolicyIssue } from './errors.js';
import { type Policy, policySchema } from './schema.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a zod path as `rules[2].effect` (or `$` for the document itself). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '$' : out;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function toIssues(issue: z.core.$ZodIssue): PolicyIssue[] {
  const path = [...issue.path];
  switch (issue.code) {
    case 'invalid_value':
      return [{ path: formatPath(path), message: `expected ${issue.values.map(describe).join(' | ')}` }];
    case 'invalid_type': {
      const received = issue.message.match(/received (\w+)/)?.[1];
      return [
        {
          path: formatPath(path),
          message: `expected ${issue.expected}${received === undefined ? '' : `, received ${received}`}`,
        },
      ];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown field' }));
    default:
      return [{ path: formatPath(path), message: issue.message }];
  }
}

/**
 * Validates a policy document and returns it frozen.
 *
 * The result is exactly the JSON that was given (no defaults are filled in),
 * so {@link policyHash} of it names what its author wrote.
 *
 * @param json - a parsed JSON value (use `JSON.parse` first for text).
 * @returns the validated, deeply frozen policy.
 * @throws PolicyError `ERR_POLICY_INVALID` whose message names the path of each
 *   problem (e.g. `rules[2].effect: expected "allow" | "deny" | "require_approval"`);
 *   `error.issues` lists them.
 * @example
 * ```ts
 * const policy = parsePolicy(JSON.parse(await readFile('policy.json', 'utf8')));
 * ```
 */
export function parsePolicy(json: unknown): Policy {
  const result = policySchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.flatMap(toIssues);
    const shown = issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > shown.length) shown.push(`… and ${issues.length - shown.length} more`);
    throw new PolicyError('ERR_POLICY_INVALID', `invalid policy: ${shown.join('; ')}`, { issues });
  }
  try {
    // Refuse what JSON cannot hold (e.g. an explicit `undefined`), so the hash is defined.
    canonicalBytes(result.data);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new PolicyError('ERR_POLICY_INVALID', `invalid policy: ${message}`, {
      cause,
      issues: [{ path: '$', message }],
    });
  }
  const policy = deepFreeze(result.data);
  validated.add(policy);
  return policy;
}

// Policies this module validated and deep-froze: they cannot have changed since, so they need no second pass.
const validated = new WeakSet<object>();

/** Validates `json` unless it is a policy {@link parsePolicy} already returned (validate once, at the boundary). */
export function ensurePolicy(json: unknown): Policy {
  return typeof json === 'object' && json !== null && validated.has(json) ? (json as Policy) : parsePolicy(json);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The content hash of a policy: `sha256:` and the hex SHA-256 of its RFC 8785
 * (JCS) canonical JSON. It goes into every decision and audit record so the
 * log says which policy decided.
 *
 * @param policy - a policy from {@link parsePolicy} (or any JSON policy document).
 * @returns `sha256:<64 hex digits>`.
 * @throws IdentityError when the value is not JSON (e.g. holds `undefined`).
 */
export function policyHash(policy: Policy): string {
  return `sha256:${sha256Hex(canonicalBytes(policy))}`;
}
