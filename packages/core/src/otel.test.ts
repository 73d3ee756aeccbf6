import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';
import { instrumentGuard } from './otel.js';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'allow-add', effect: 'allow', tools: ['add', 'boom', 'hang'] },
    { id: 'no-delete', effect: 'deny', tools: ['delete_*'], reason: 'deleting is not allowed' },
  ],
};
const schema = z.object({ a: z.number(), b: z.number() });

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('agentguard-test');
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await provider.shutdown();
});

function setup() {
  exporter.reset();
  const identity = createIdentity({ name: 'otel-agent' });
  const g = createGuard({ identity, policy, audit: createAuditLog({ sink: createMemorySink() }) });
  const instrumentation = instrumentGuard(g, { tracer, agentName: 'support-bot' });
  const add = g.guard({ name: 'add', schema, execute: ({ a, b }) => a + b });
  return { g, identity, instrumentation, add };
}
const spans = (): ReadableSpan[] => exporter.getFinishedSpans();

describe('instrumentGuard (OpenTelemetry spans, GenAI semantic conventions)', () => {
  it('makes one execute_tool span per allowed call, a child of the active span', async () => {
    const { add, identity } = setup();
    const parent = tracer.startSpan('agent turn');
    await context.with(trace.setSpan(context.active(), parent), () => add({ a: 1, b: 2 }, { callId: 'call-1' }));
    parent.end();
    const [span, turn] = spans() as [ReadableSpan, ReadableSpan];
    expect(spans()).toHaveLength(2);
    expect(turn.name).toBe('agent turn');
    expect(span.name).toBe('execute_tool add');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'add',
      'gen_ai.tool.call.id': 'call-1',
      'gen_ai.tool.type': 'function',
      'gen_ai.agent.id': identity.id,
      'gen_ai.agent.name': 'support-bot',
      'agentguard.decision.effect': 'allow',
      'agentguard.decision.mode': 'enforce',
      'agentguard.decision.rule_id': 'allow-add',
      'agentguard.policy.hash': expect.stringMatching(/^sha256:/),
    });
  });

  it('makes a root span when no span is active', async () => {
    const { add } = setup();
    await add({ a: 1, b: 2 });
    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.parentSpanContext).toBeUndefined();
  });

  it('marks a policy denial as an error with error.type, and never writes arguments', async () => {
    const { g } = setup();
    const del = g.guard({ name: 'delete_user', schema: z.object({ id: z.string() }), execute: () => 'gone' });
    const parent = tracer.startSpan('agent turn');
    const refused = context.with(trace.setSpan(context.active(), parent), () => del({ id: 'secret-id' }));
    await expect(refused).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    parent.end();
    const span = spans()[0] as ReadableSpan;
    expect(span.name).toBe('execute_tool delete_user');
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: expect.stringContaining('not allowed') });
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'error.type': 'ERR_GUARD_POLICY_DENIED',
      'agentguard.decision.effect': 'deny',
      'agentguard.decision.rule_id': 'no-delete',
      'agentguard.denial.code': 'ERR_GUARD_POLICY_DENIED',
      'agentguard.denial.outcome': 'denied',
    });
    expect(JSON.stringify(span.attributes)).not.toContain('secret-id');
  });

  it('marks invalid arguments as an error', async () => {
    const { add } = setup();
    await expect(add({ a: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_GUARD_ARGS_INVALID' });
    expect(spans()[0]?.attributes['error.type']).toBe('ERR_GUARD_ARGS_INVALID');
  });

  it('marks a tool failure as an error on the span that started when the call was allowed', async () => {
    const { g } = setup();
    const boom = g.guard({
      name: 'boom',
      schema,
      execute: () => {
        throw new Error('kaput');
      },
    });
    await expect(boom({ a: 1, b: 1 }, { callId: 'call-b' })).rejects.toMatchObject({ code: 'ERR_GUARD_TOOL_FAILED' });
    const span = spans()[0] as ReadableSpan;
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call-b',
      'agentguard.decision.effect': 'allow',
      'error.type': 'ERR_GUARD_TOOL_FAILED',
      'agentguard.denial.outcome': 'failed',
    });
  });

  it('keeps concurrent calls apart', async () => {
    const { add } = setup();
    await Promise.all(Array.from({ length: 10 }, (_, i) => add({ a: i, b: 0 }, { callId: `c-${i}` })));
    const ids = spans().map((s) => s.attributes['gen_ai.tool.call.id']);
    expect(new Set(ids).size).toBe(10);
    expect(spans().every((s) => s.ended && s.status.code === SpanStatusCode.UNSET)).toBe(true);
  });

  it('dispose() stops listening and ends open spans with an error', async () => {
    const { g, instrumentation, add } = setup();
    let release: (value: number) => void = () => {};
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => (running = resolve));
    const execute = () =>
      new Promise<number>((resolve) => {
        release = resolve;
        running();
      });
    const hang = g.guard({ name: 'hang', schema, execute });
    const pending = hang({ a: 0, b: 0 });
    await started;
    instrumentation.dispose();
    instrumentation.dispose();
    release(0);
    await pending;
    await add({ a: 1, b: 1 });
    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.attributes['error.type']).toBe('ERR_GUARD_INSTRUMENTATION_STOPPED');
    expect(g.events.listenerCount('allowed')).toBe(0);
  });

  it.each<[string, unknown, unknown]>([
    ['no guard', undefined, { tracer }],
    ['a guard without events', {}, { tracer }],
    ['no tracer', { events: { on() {} } }, {}],
    ['a non-string agentName', { events: { on() {} } }, { tracer, agentName: 1 }],
  ])('throws a TypeError for %s', (_, guard, options) => {
    expect(() => instrumentGuard(guard as never, options as never)).toThrow(TypeError);
  });
});
