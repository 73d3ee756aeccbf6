import { isToolName } from '@agentguard/statement';
import type { GuardedTool, StandardSchemaV1, ToolSpec } from '@agentguard/core';

/** A guarded tool of any argument and result type, as adapters take them. */
// `never` arguments: a guarded tool's call signature is contravariant in its argument type, and adapters
// only ever call `safeRun` with a model's raw arguments.
export type AnyGuardedTool = GuardedTool<never, unknown>;

/**
 * @internal The names a guard accepts (the one tool-name grammar of `@agentguard/statement`, which `guard()`
 * checks): a name outside it can never be a guarded tool, so a call naming one is refused, and an MCP server's
 * tool named so is never offered.
 */
export function isGuardableName(name: unknown): name is string {
  return isToolName(name);
}

/**
 * @internal Indexes guarded tools by name, refusing duplicates (a model's call must reach one tool only).
 * @throws TypeError when a tool is not a guarded tool or two tools share a name.
 */
export function indexTools<T extends AnyGuardedTool>(tools: Iterable<T>): ReadonlyMap<string, T> {
  const byName = new Map<string, T>();
  for (const tool of tools) {
    checkGuardedTool(tool);
    if (byName.has(tool.name))
      throw new TypeError(`"tools" expected unique names, got ${JSON.stringify(tool.name)} twice`);
    byName.set(tool.name, tool);
  }
  return byName;
}

/**
 * @internal Checks that `tool` is a guarded tool (from `createGuard().guard()`).
 * @throws TypeError otherwise.
 */
export function checkGuardedTool(tool: unknown): asserts tool is AnyGuardedTool {
  const t = tool as AnyGuardedTool | null;
  if (typeof t !== 'function' || typeof t.safeRun !== 'function' || typeof t.name !== 'string') {
    throw new TypeError('"tool" expected a guarded tool (createGuard().guard(spec))');
  }
}

/**
 * @internal JSON Schema of a guarded tool's input for a framework's tool definition: the schema's own
 * Standard JSON Schema without `$schema` (providers reject it).
 * @throws TypeError when the schema offers none (zod 3, or a library without Standard JSON Schema) or its
 * conversion fails: an empty schema would tell the model the tool takes any object, silently.
 */
export function parametersOf(tool: AnyGuardedTool): Record<string, unknown> {
  const schema = tool.inputJsonSchema();
  if (schema === undefined || typeof schema !== 'object' || schema === null) {
    throw new TypeError(
      `tool "${tool.name}": its schema offers no JSON Schema (Standard JSON Schema, "~standard.jsonSchema"), or ` +
        'converting it failed, so the model could not be told its arguments. zod 3 schemas offer none: use zod 4 ' +
        '(or "zod/v4" from zod 3.25) or another library that implements Standard JSON Schema.',
    );
  }
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/**
 * @internal Parses a model's JSON arguments. Text that is not JSON is handed on as the string itself, so
 * the guard refuses it as invalid arguments and audits the refusal, like any other bad input.
 */
export function parseArguments(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A tool's risk tier, as `ToolSpec.risk` of `@agentguard/core` takes it. */
export type ToolRisk = NonNullable<ToolSpec<StandardSchemaV1, unknown>['risk']>;

const RISKS: ReadonlySet<unknown> = new Set(['low', 'medium', 'high', 'critical']);

/** @internal Checks a declared risk tier; TypeError when it is not one of low, medium, high, critical. */
export function checkRisk(value: unknown, label: string): void {
  if (value !== undefined && !RISKS.has(value)) {
    throw new TypeError(`"${label}" expected one of low, medium, high, critical, got ${String(value)}`);
  }
}
