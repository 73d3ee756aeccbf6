import { canonicalBytes, parseJson, StatementError, sha256Hex } from '@agentguard/statement';
import type { z } from 'zod';
import { PolicyError, type PolicyIssue } from '../errors.js';
import { type Policy, policySchema } from './schema.js';
import { SnapshotError, snapshotJson } from '../engine/snapshot.js';

/** Largest policy text {@link parsePolicyText} reads by default, in UTF-8 bytes. */
export const MAX_POLICY_TEXT_BYTES = 64 * 1024 * 1024;
/** Deepest nesting of a policy document (a policy needs about 6). */
export const MAX_POLICY_DEPTH = 32;

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

/** The `ERR_POLICY_INVALID` error for a document zod refused, naming the path of each problem. */
export function invalidDocument(what: string, error: z.ZodError): PolicyError {
  const issues = error.issues.flatMap(toIssues);
  const shown = issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`… and ${issues.length - shown.length} more`);
  return new PolicyError('ERR_POLICY_INVALID', `invalid ${what}: ${shown.join('; ')}`, { issues });
}

/** Options of {@link parsePolicyText}. */
export interface ParsePolicyTextOptions {
  /**
   * Largest text accepted, in UTF-8 bytes.
   * @default MAX_POLICY_TEXT_BYTES (64 MiB)
   */
  readonly maxBytes?: number;
}

/**
 * Reads JSON text strictly (the `@agentguard/statement` parser: duplicate member
 * names, `__proto__`, lone surrogates, depth and size refused) for the document
 * named `what`; failures become `PolicyError` `ERR_POLICY_INVALID` whose message
 * and issue carry the JSON error's code (`ERR_STATEMENT_JSON_DUPLICATE_KEY`, …).
 */
export function readStrictJson(text: string, what: string, maxBytes = MAX_POLICY_TEXT_BYTES): unknown {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`);
  try {
    return parseJson(text, { maxBytes, maxDepth: MAX_POLICY_DEPTH });
  } catch (cause) {
    if (!(cause instanceof StatementError)) throw cause;
    const message = `${cause.code}: ${cause.message}`;
    throw new PolicyError('ERR_POLICY_INVALID', `invalid ${what}: ${message}`, {
      cause,
      issues: [{ path: '$', message }],
    });
  }
}

/**
 * Reads a policy file's text strictly and validates it: the one reader every
 * tool should use for policy files (the CLI does). Unlike `JSON.parse`, a
 * repeated member name (`"effect":"deny","effect":"allow"`) is refused, not
 * read as its last value, so no two readers can disagree about a policy.
 *
 * @param text - the policy file's text (UTF-8 decoded).
 * @param options - see {@link ParsePolicyTextOptions}.
 * @returns the validated, deeply frozen policy.
 * @throws PolicyError `ERR_POLICY_INVALID`: for bad JSON the message and the one issue (path `$`)
 *   start with the JSON error code (`ERR_STATEMENT_JSON_PARSE`, `ERR_STATEMENT_JSON_DUPLICATE_KEY`,
 *   `ERR_STATEMENT_JSON_FORBIDDEN_KEY`, `ERR_STATEMENT_JSON_TOO_DEEP`, `ERR_STATEMENT_JSON_TOO_LARGE`) and `cause` is the
 *   `StatementError`; otherwise as {@link parsePolicy}.
 * @throws TypeError when `text` is not a string.
 * @example
 * ```ts
 * const policy = parsePolicyText(await readFile('policy.json', 'utf8'));
 * ```
 */
export function parsePolicyText(text: string, options: ParsePolicyTextOptions = {}): Policy {
  return parsePolicy(readStrictJson(text, 'policy', options.maxBytes ?? MAX_POLICY_TEXT_BYTES));
}

/** Copies an untrusted value to plain JSON, turning a refusal into `ERR_POLICY_INVALID`. */
export function snapshotOrThrow(value: unknown, what: string): unknown {
  try {
    return snapshotJson(value, '', { maxDepth: MAX_POLICY_DEPTH });
  } catch (cause) {
    if (!(cause instanceof SnapshotError)) throw cause;
    throw new PolicyError('ERR_POLICY_INVALID', `invalid ${what}: ${cause.message}`, {
      cause,
      issues: [{ path: cause.path, message: cause.problem }],
    });
  }
}

/**
 * Validates a policy document and returns it frozen.
 *
 * The value is first copied into fresh plain JSON (each property read once;
 * getters, class instances, `__proto__` keys, cycles refused), and the copy is
 * what is validated and returned, so a Proxy or getter cannot show the
 * validator one policy and the engine another. The result is exactly the JSON
 * that was given (no defaults are filled in), so {@link policyHash} of it names
 * what its author wrote.
 *
 * @param json - a parsed JSON value; for text use {@link parsePolicyText} (strict JSON), not `JSON.parse`.
 * @returns the validated, deeply frozen policy.
 * @throws PolicyError `ERR_POLICY_INVALID` whose message names the path of each
 *   problem (e.g. `rules[2].effect: expected "allow" | "deny" | "require_approval"`);
 *   `error.issues` lists them.
 * @example
 * ```ts
 * const policy = parsePolicy({ version: 1, rules: [{ id: 'read', effect: 'allow', tools: ['read_*'] }] });
 * ```
 */
export function parsePolicy(json: unknown): Policy {
  const result = policySchema.safeParse(snapshotOrThrow(json, 'policy'));
  if (!result.success) throw invalidDocument('policy', result.error);
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
 * @throws StatementError when the value is not JSON (e.g. holds `undefined`).
 */
export function policyHash(policy: Policy): string {
  return `sha256:${sha256Hex(canonicalBytes(policy))}`;
}
