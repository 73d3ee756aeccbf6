import { ID_MAX_CHARS, MAX_ISSUES, textOf } from './text.js';
import { runWithTimeout, stopKind } from './timeout.js';

/**
 * The Standard Schema v1 interface (standardschema.dev), copied as types only so
 * that core depends on no schema library: zod 4, valibot and arktype schemas all
 * satisfy it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
    /** Standard JSON Schema (zod 4.2+): converts the schema to JSON Schema. */
    readonly jsonSchema?: {
      readonly input: (options: { readonly target: string }) => Record<string, unknown>;
    };
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** One validation problem, as recorded in the audit log and shown to a model. */
export interface ArgIssue {
  readonly path: string;
  readonly message: string;
}

function pathOf(issue: StandardSchemaV1.Issue): string {
  const path: unknown = issue.path;
  if (path === undefined || path === null) return '$';
  if (!Array.isArray(path)) return '$';
  let out = '$';
  for (const segment of path.slice(0, 64)) {
    const key: unknown = typeof segment === 'object' && segment !== null ? (segment as { key: unknown }).key : segment;
    out += typeof key === 'number' ? `[${key}]` : `.${textOf(key)}`;
    // Paths hold object keys, and keys are input: never let them grow past what is kept anyway.
    if (out.length > ID_MAX_CHARS) break;
  }
  return out;
}

const failed = (message: string): { ok: false; issues: ArgIssue[] } => ({
  ok: false,
  issues: [{ path: '$', message }],
});

/**
 * Validates `value`. A schema is a foreign part: one that throws, answers junk, or does not answer within
 * `timeoutMs` is a failure rather than an escape, and its issues are read defensively (at most
 * {@link MAX_ISSUES}). Issue paths and messages are returned raw: the caller redacts and bounds them.
 */
export async function validateWith<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  timeoutMs: number = 30_000,
): Promise<{ ok: true; value: StandardSchemaV1.InferOutput<S> } | { ok: false; issues: ArgIssue[] }> {
  let result: unknown;
  try {
    result = schema['~standard'].validate(value);
    // A synchronous answer (zod's, for a schema without async refinements) is already in: only a pending
    // one is raced against the timer, so most calls make no timer, race or extra promise here.
    if (isPending(result)) {
      const pending = result;
      result = await runWithTimeout(() => pending, timeoutMs);
    }
  } catch (error) {
    return stopKind(error) === 'timeout'
      ? failed(`schema gave no result within ${timeoutMs} ms`)
      : failed(`schema threw: ${textOf(error)}`);
  }
  try {
    if (typeof result !== 'object' || result === null) return failed('schema returned no result');
    const issues: unknown = (result as { issues?: unknown }).issues;
    if (issues !== undefined) {
      if (!Array.isArray(issues) || issues.length === 0) return failed('schema returned malformed issues');
      return {
        ok: false,
        issues: issues.slice(0, MAX_ISSUES).map((i: StandardSchemaV1.Issue) => ({
          path: pathOf(i),
          message: textOf(i?.message),
        })),
      };
    }
    return { ok: true, value: (result as { value: unknown }).value as StandardSchemaV1.InferOutput<S> };
  } catch (error) {
    return failed(`schema returned an unreadable result: ${textOf(error)}`);
  }
}

/** Whether a schema's answer is a promise (or any thenable) still to be awaited; reading `then` may throw. */
function isPending(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Whether `value` looks like a Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const std = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

/** JSON Schema (draft 2020-12) of a schema's input, when its library offers Standard JSON Schema. */
export function jsonSchemaOf(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  const convert = schema['~standard'].jsonSchema?.input;
  if (typeof convert !== 'function') return undefined;
  try {
    return convert({ target: 'draft-2020-12' });
  } catch {
    return undefined;
  }
}
