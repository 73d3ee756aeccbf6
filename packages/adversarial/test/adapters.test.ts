/**
 * Invariant: through every adapter a tool body runs only on the value the guard decided on (the framework
 * never parses or transforms it again), a call reaches only the guarded tool it names (exact name, its own
 * call id), and what the model sees of a refusal is a Denial: the guard's, or one from the adapters' single
 * bounded constructor, never a raw error message.
 */
import { toAiSdkTool, toAiSdkTools } from '@agentguard/adapters/ai-sdk';
import { createGuardMiddleware } from '@agentguard/adapters/langchain';
import { createToolDispatcher } from '@agentguard/adapters/openai';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, type GuardedTool } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { langChainTool, ToolMessage } from '../../adapters/test/frameworks.js';
import { fuzzParams } from './fuzz.js';

const TOOLS = ['read_user', 'archive_user', 'add'] as const;

function newGuard() {
  return createGuard({
    identity: createIdentity({ name: 'adapter-agent' }),
    policy: { version: 1, rules: [{ id: 'tools', effect: 'allow', tools: [...TOOLS] }] },
    audit: createAuditLog({ sink: createMemorySink() }),
  });
}

type Wrap = (request: unknown, handler: (request: unknown) => Promise<unknown>) => Promise<unknown>;
const wrapOf = (middleware: unknown) => (middleware as { wrapToolCall: Wrap }).wrapToolCall;

// What LangChain's ToolNode does with the request the middleware hands on.
const toolNodeHandler = async (request: unknown) => {
  const { tool, toolCall } = request as {
    tool: { invoke(input: unknown, config: unknown): Promise<unknown> };
    toolCall: { id: string };
  };
  const output = await tool.invoke({ ...toolCall, type: 'tool_call' }, { toolCallId: toolCall.id });
  return ToolMessage.isInstance(output as ToolMessage)
    ? output
    : new ToolMessage({ content: String(output), tool_call_id: toolCall.id });
};

/** Whether a value holds a member named `__proto__` at any depth. */
const hasProtoMember = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (Object.hasOwn(v, '__proto__') || Object.values(v).some(hasProtoMember));

/** A schema whose every run is recorded (a stateful transform, as resolving a path or a clock would be). */
function recordingSchema(kind: 'identity' | 'defaults' | 'strip' | 'stamp') {
  const outputs: unknown[] = [];
  const base = z.object({ q: z.string() }).passthrough();
  const schema = base.transform((value) => {
    const out =
      kind === 'identity'
        ? value
        : kind === 'defaults'
          ? { limit: 10, ...value }
          : kind === 'strip'
            ? { q: value.q }
            : { ...value, seq: outputs.length + 1 };
    outputs.push(out);
    return out;
  });
  return { schema, outputs };
}

describe('the tool runs on something other than what was decided', () => {
  it('regression: the LangChain middleware runs the body on the decided value, the schema applied once', async () => {
    const { schema, outputs } = recordingSchema('stamp');
    const seen: unknown[] = [];
    const tool = langChainTool(
      async (input: unknown) => {
        seen.push(input);
        return 'ok';
      },
      { name: 'add', description: 'Adds', schema },
    );
    const wrap = wrapOf(createGuardMiddleware(newGuard()));
    await wrap(
      { toolCall: { name: 'add', args: { q: 'x' }, id: 'c1' }, tool, state: {}, runtime: {} },
      toolNodeHandler,
    );
    expect(outputs).toHaveLength(1);
    expect(seen).toEqual(outputs);
  });

  it('fuzz: in the LangChain middleware, the AI SDK tool and the OpenAI dispatcher, the body gets exactly the one schema output', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('identity', 'defaults', 'strip', 'stamp' as const),
        // The guard refuses args with a `__proto__` member at any depth before the schema runs (bindArgs, tested in
        // attestation's args.test.ts), so leave them out here.
        fc
          .dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
          .filter((extra) => !hasProtoMember(extra)),
        fc.string({ maxLength: 8 }),
        fc.constantFrom('langchain', 'ai-sdk', 'openai'),
        async (kind, extra, q, adapter) => {
          const input = { ...JSON.parse(JSON.stringify(extra)), q };
          const { schema, outputs } = recordingSchema(kind);
          const seen: unknown[] = [];
          const body = async (value: unknown) => {
            seen.push(value);
            return 'ok';
          };
          const guard = newGuard();
          if (adapter === 'langchain') {
            const tool = langChainTool(body, { name: 'add', description: 'Adds', schema });
            const wrap = wrapOf(createGuardMiddleware(guard));
            await wrap(
              { toolCall: { name: 'add', args: input, id: 'c' }, tool, state: {}, runtime: {} },
              toolNodeHandler,
            );
          } else {
            const guarded = guard.guard({ name: 'add', schema, execute: body }) as GuardedTool<never, unknown>;
            if (adapter === 'ai-sdk') {
              await (toAiSdkTool(guarded).execute as (i: unknown, o: unknown) => Promise<unknown>)(input, {
                toolCallId: 'c',
                messages: [],
              });
            } else await createToolDispatcher([guarded]).dispatch('add', JSON.stringify(input), 'c');
          }
          expect(outputs).toHaveLength(1);
          expect(seen).toEqual(outputs);
        },
      ),
      fuzzParams(60),
    );
  });
});

describe('denials forwarded to the model', () => {
  it('regression: a call naming what no guard can hold is a bounded Denial, never a thrown TypeError', async () => {
    const guard = newGuard();
    const dispatcher = createToolDispatcher([guard.guard({ name: 'add', schema: z.object({}), execute: () => 1 })]);
    const seen = await dispatcher.chatCompletions([
      { id: 'x1', type: 'function', function: { name: 42 as never, arguments: '{}' } },
    ]);
    expect(JSON.parse(seen[0]?.content ?? '')).toMatchObject({
      agentguard: 'refused',
      code: 'ERR_GUARD_POLICY_DENIED',
    });
    const wrap = wrapOf(createGuardMiddleware(guard));
    const tool = langChainTool(async () => 'ok', { name: 'a b', description: 'x', schema: z.object({}) });
    const message = (await wrap(
      { toolCall: { name: 'a b', args: {}, id: 'x2' }, tool, state: {}, runtime: {} },
      toolNodeHandler,
    )) as ToolMessage;
    expect(JSON.parse(message.content as string)).toMatchObject({ agentguard: 'refused' });
  });

  it('fuzz: any name, id and argument text reaching the dispatcher or the middleware gives a bounded Denial or a result, never a throw', async () => {
    const guard = newGuard();
    const add = guard.guard({ name: 'add', schema: z.object({ a: z.number() }), execute: ({ a }) => a });
    const dispatcher = createToolDispatcher([add as GuardedTool<never, unknown>]);
    const wrap = wrapOf(createGuardMiddleware(guard));
    const tool = langChainTool(async () => 'ok', {
      name: 'add',
      description: 'Adds',
      schema: z.object({ a: z.number() }),
    });
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.anything(), fc.string({ maxLength: 600 }), async (name, id, args) => {
        const callId = typeof id === 'string' ? id : 'fixed-id';
        const texts = [await dispatcher.dispatch(name as string, args, callId)];
        const [message] = await dispatcher.chatCompletions([
          { id: id as string, type: 'function', function: { name: name as string, arguments: args } },
        ]);
        texts.push(message?.content ?? '');
        const lc = (await wrap(
          { toolCall: { name, args: {}, id: callId }, tool: name === 'add' ? tool : undefined, state: {}, runtime: {} },
          toolNodeHandler,
        )) as ToolMessage;
        texts.push(lc.content as string);
        for (const text of texts) {
          let parsed: { agentguard?: string; tool?: string; reason?: string } | number;
          try {
            parsed = JSON.parse(text);
          } catch {
            continue; // a tool result that is not JSON
          }
          if (typeof parsed !== 'object' || parsed === null || parsed.agentguard !== 'refused') continue;
          expect((parsed.tool ?? '').length).toBeLessThanOrEqual(128);
          expect((parsed.reason ?? '').length).toBeLessThanOrEqual(4096);
        }
      }),
      fuzzParams(60),
    );
  });
});

describe('approval and tool-name confusion in adapters', () => {
  it('regression: a call id given twice in one batch runs one tool once; prototype names find no tool', async () => {
    const guard = newGuard();
    const ran: string[] = [];
    const tools = TOOLS.map((name) =>
      guard.guard({
        name,
        schema: z.object({ id: z.string() }),
        execute: ({ id }) => {
          ran.push(`${name}:${id}`);
          return name;
        },
      }),
    ) as GuardedTool<never, unknown>[];
    const dispatcher = createToolDispatcher(tools);
    const out = await dispatcher.chatCompletions([
      { id: 'same', type: 'function', function: { name: 'read_user', arguments: '{"id":"bob"}' } },
      { id: 'same', type: 'function', function: { name: 'archive_user', arguments: '{"id":"bob"}' } },
      { id: 'p1', type: 'function', function: { name: 'constructor', arguments: '{}' } },
      { id: 'p2', type: 'function', function: { name: '__proto__', arguments: '{}' } },
    ]);
    expect(ran).toEqual(['read_user:bob']);
    expect(out.slice(1).every((m) => JSON.parse(m.content).agentguard === 'refused')).toBe(true);
    const record = toAiSdkTools(tools);
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(record.constructor).toBeUndefined();
    expect(Object.keys(record)).toEqual([...TOOLS]);
  });

  it('fuzz: through the dispatcher, a body runs only for its exact name, at most once per call id in a batch', async () => {
    const names = fc.constantFrom(...TOOLS, 'Read_user', 'constructor', '__proto__', 'toString', 'add ', 'ａｄｄ');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd'), name: names }), { maxLength: 6 }),
        async (calls) => {
          const guard = newGuard();
          const ran: { name: string; id: string }[] = [];
          const tools = TOOLS.map((name) =>
            guard.guard({
              name,
              schema: z.object({}),
              execute: (_args, ctx) => {
                ran.push({ name, id: ctx.callId });
                return name;
              },
            }),
          ) as GuardedTool<never, unknown>[];
          const out = await createToolDispatcher(tools).chatCompletions(
            calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: '{}' } })),
          );
          expect(out).toHaveLength(calls.length);
          const ids = ran.map((r) => r.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const r of ran) {
            const first = calls.find((c) => c.id === r.id);
            expect(first?.name).toBe(r.name);
          }
        },
      ),
      fuzzParams(100),
    );
  });
});
