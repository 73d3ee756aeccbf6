import type { Guard, GuardedTool, StandardSchemaV1 } from '@agentguard/core';
import { ToolMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import { type DynamicStructuredTool, StructuredTool, type ToolRunnableConfig } from '@langchain/core/tools';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { type AdapterOptions, type NormalizedAdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { callOptionsOf, type Settled, settle, settledText } from '../common/outcome.js';
import { type AnyGuardedTool, checkGuardedTool, parametersOf } from '../common/tools.js';

function isToolCall(value: unknown): value is ToolCall {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'tool_call';
}

/**
 * A LangChain tool whose every call goes through a guarded tool. It keeps LangChain's tool interface (name,
 * description, JSON Schema for `bindTools`, `invoke` with a `ToolCall` giving a `ToolMessage`) but validates
 * the arguments once, in the guard, so a transforming schema is never applied twice and invalid arguments
 * are refused and audited like any other refusal. A refusal is a `ToolMessage` with `status: 'error'`
 * whose content is the Denial JSON.
 *
 * Typed like a native `tool()`: `invoke(args)` takes `Args` (the guarded tool's argument type) and resolves to
 * the result text; `invoke(toolCall)`, or a config with `toolCall.id`, resolves to a `ToolMessage`.
 *
 * @typeParam Args - what `invoke` takes besides a `ToolCall` (the guard still validates it at run time).
 */
export class GuardedLangChainTool<Args = Record<string, unknown>> extends StructuredTool<
  Record<string, unknown>,
  Args,
  Args,
  string
> {
  override name: string;
  override description: string;
  override schema: Record<string, unknown>;
  readonly #guarded: AnyGuardedTool;
  readonly #options: NormalizedAdapterOptions;

  constructor(guarded: AnyGuardedTool, options: NormalizedAdapterOptions, schema?: Record<string, unknown>) {
    super();
    this.name = guarded.name;
    this.description = guarded.description ?? '';
    this.schema = schema ?? parametersOf(guarded);
    this.#guarded = guarded;
    this.#options = options;
  }

  /** Runs the call through the guard: `ToolMessage` for a `ToolCall` input, the result text otherwise. */
  // The StructuredTool signature is generic over schema-derived input types; this tool takes raw JSON.
  override async call(arg: unknown, configArg?: unknown): Promise<never> {
    const config = (configArg ?? {}) as ToolRunnableConfig;
    const callId = isToolCall(arg) ? arg.id : config.toolCall?.id;
    const args = isToolCall(arg) ? arg.args : arg;
    const outcome = await this.#guarded.safeRun(args, callOptionsOf({ callId, signal: config.signal }));
    const settled = settle(outcome, this.#options);
    return toOutput(settled, this.name, callId) as never;
  }

  protected override async _call(): Promise<never> {
    // Unreachable: `call` above is the only entry point and never delegates here.
    throw new Error('GuardedLangChainTool runs through call()');
  }
}

function toOutput(settled: Settled<unknown>, name: string, callId: string | undefined): ToolMessage | string {
  const content = settledText(settled);
  if (callId === undefined) return content;
  return new ToolMessage({ content, tool_call_id: callId, name, status: settled.ok ? 'success' : 'error' });
}

/**
 * Turns a guarded tool into a LangChain tool for `createAgent`, `bindTools` or a `ToolNode`.
 *
 * @param guarded - a tool from `createGuard().guard(spec)`.
 * @param options - see {@link AdapterOptions}.
 * @returns a {@link GuardedLangChainTool} whose `invoke` takes the guarded tool's arguments or a `ToolCall`.
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const agent = createAgent({ model, tools: [toLangChainTool(ag.guard({ name: 'search', schema, execute }))] });
 * ```
 */
export function toLangChainTool<T extends AnyGuardedTool>(
  guarded: T,
  options?: AdapterOptions,
): GuardedLangChainTool<LangChainArgsOf<T>> {
  checkGuardedTool(guarded);
  return new GuardedLangChainTool(guarded, normalizeAdapterOptions(options));
}

/**
 * The argument type of a guarded tool (what its call signature takes), as its LangChain tool's `invoke` takes
 * it; a tool whose type was erased (`GuardedTool<never, …>`) takes any JSON object.
 */
export type LangChainArgsOf<T> =
  T extends GuardedTool<infer A, unknown>
    ? [A] extends [never]
      ? Record<string, unknown>
      : A
    : Record<string, unknown>;

/** What a guard needs to know about an existing LangChain tool beyond what the tool says of itself. */
export interface GuardLangChainToolOptions extends AdapterOptions {
  /**
   * Resource tags the policy matches on.
   * @default []
   */
  readonly tags?: readonly string[];
  /**
   * Data-flow labels.
   * @default []
   */
  readonly labels?: readonly string[];
  /**
   * Milliseconds the tool may run.
   * @default 30_000
   */
  readonly timeoutMs?: number;
  /**
   * Audit only the digest of the arguments.
   * @default false
   */
  readonly sensitive?: boolean;
}

/** A LangChain tool made by `tool()`, `DynamicStructuredTool`, `StructuredTool` or `DynamicTool`. */
export type LangChainToolLike = Pick<StructuredTool, 'name' | 'description' | 'schema'>;

/** The input type of a LangChain tool's Standard Schema (zod 3.24+ or 4), as its guarded tool's `invoke` takes it. */
export type LangChainToolArgsOf<T> = T extends { readonly schema: infer S }
  ? S extends StandardSchemaV1
    ? StandardSchemaV1.InferInput<S>
    : Record<string, unknown>
  : Record<string, unknown>;

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const s = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return typeof s === 'object' && s !== null && s.version === 1 && typeof s.validate === 'function';
}

/**
 * Guards an existing LangChain tool, keeping its name, description and schema. Its arguments are validated
 * once, by the guard, with the tool's own schema (which must be a Standard Schema: zod 3.24+ or 4); then
 * the tool's function runs directly, never `invoke` again, so a transforming schema is applied once.
 *
 * @param guard - the guard (`createGuard()`) deciding and auditing the calls.
 * @param tool - the LangChain tool.
 * @param options - see {@link GuardLangChainToolOptions}.
 * @returns a {@link GuardedLangChainTool} with the same name, description and JSON Schema.
 * @throws TypeError when the tool's schema is not a Standard Schema, or on other misuse.
 * @example
 * ```ts
 * const search = tool(async ({ q }) => find(q), { name: 'search', description: 'Search', schema: z.object({ q: z.string() }) });
 * const guarded = guardLangChainTool(ag, search, { tags: ['read'] });
 * ```
 */
export function guardLangChainTool<T extends LangChainToolLike>(
  guard: Guard,
  tool: T,
  options: GuardLangChainToolOptions = {},
): GuardedLangChainTool<LangChainToolArgsOf<T>> {
  if (typeof guard?.guard !== 'function') throw new TypeError('"guard" expected a Guard (createGuard())');
  if (!(tool instanceof StructuredTool)) throw new TypeError('"tool" expected a LangChain StructuredTool');
  if (!isStandardSchema(tool.schema)) {
    throw new TypeError(`"tool.schema" of ${tool.name} expected a Standard Schema (zod 3.24+ or 4), got JSON Schema`);
  }
  const normalized = normalizeAdapterOptions(options);
  const inner = tool as StructuredTool;
  const guarded = guard.guard({
    name: tool.name,
    description: tool.description,
    schema: tool.schema,
    ...(options.tags === undefined ? {} : { tags: options.tags }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.sensitive === undefined ? {} : { sensitive: options.sensitive }),
    execute: (args, ctx) => runInner(inner, args, { signal: ctx.signal, toolCall: { id: ctx.callId } }),
  });
  const { $schema: _ignored, ...schema } = toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]) as Record<
    string,
    unknown
  >;
  return new GuardedLangChainTool(guarded, normalized, schema);
}

// Calls the tool's own function with already-validated args: `func` for tool()/Dynamic*Tool, else `_call`.
async function runInner(tool: StructuredTool, args: unknown, config: Record<string, unknown>): Promise<unknown> {
  const func = (tool as Partial<DynamicStructuredTool>).func as
    | ((input: unknown, runManager?: unknown, config?: unknown) => unknown)
    | undefined;
  if (typeof func === 'function') return func.call(tool, args, undefined, config);
  const call = (tool as unknown as { _call: (arg: unknown, runManager?: unknown, config?: unknown) => unknown })._call;
  return call.call(tool, args, undefined, config);
}
