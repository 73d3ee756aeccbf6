import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, type StandardSchemaV1 } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toAiSdkTool } from '../src/ai-sdk/index.js';
import { toLangChainTool } from '../src/langchain/index.js';
import { toChatCompletionsTools, toResponsesTools, toRunnableTools } from '../src/openai/index.js';
import { toAgentsTool } from '../src/openai-agents/index.js';

// A schema that validates but offers no JSON Schema, as zod 3 (3.24+) and other Standard Schema libraries
// without Standard JSON Schema do: `~standard` has `validate` and no `jsonSchema`.
const zod3Like: StandardSchemaV1<{ to: string }> = {
  '~standard': {
    version: 1,
    vendor: 'zod',
    validate: (value) =>
      typeof value === 'object' && value !== null && typeof (value as { to?: unknown }).to === 'string'
        ? { value: value as { to: string } }
        : { issues: [{ message: 'expected { to: string }' }] },
  },
};

// A schema whose JSON Schema conversion throws (e.g. a type with no JSON Schema form).
const failing: StandardSchemaV1<{ to: string }> = {
  '~standard': {
    ...zod3Like['~standard'],
    jsonSchema: {
      input: () => {
        throw new Error('cannot be represented');
      },
      output: () => ({}),
    },
  } as StandardSchemaV1<{ to: string }>['~standard'],
};

function guardedWith(schema: StandardSchemaV1<{ to: string }>) {
  const ag = createGuard({
    identity: createIdentity(),
    policy: { version: 1, rules: [{ id: 'mail', effect: 'allow', tools: ['send_email'] }] },
    audit: createAuditLog({ sink: createMemorySink() }),
  });
  return ag.guard({ name: 'send_email', schema, execute: ({ to }) => `sent to ${to}` });
}

const builders: [string, (tool: ReturnType<typeof guardedWith>) => unknown][] = [
  ['AI SDK', (t) => toAiSdkTool(t)],
  ['LangChain', (t) => toLangChainTool(t)],
  ['OpenAI Chat Completions', (t) => toChatCompletionsTools([t])],
  ['OpenAI Responses', (t) => toResponsesTools([t])],
  ['OpenAI runner', (t) => toRunnableTools([t])],
  ['OpenAI Agents SDK', (t) => toAgentsTool(t)],
];

describe('a schema without a JSON Schema is refused, never offered to a model as an empty object', () => {
  it.each(builders)('%s: no Standard JSON Schema (zod 3)', (_name, build) => {
    expect(() => build(guardedWith(zod3Like))).toThrow(/send_email.*no JSON Schema.*zod 3/s);
  });

  it.each(builders)('%s: a conversion that throws', (_name, build) => {
    expect(() => build(guardedWith(failing))).toThrow(TypeError);
  });

  it.each(builders)('%s: a zod 4 schema converts to its JSON Schema', (_name, build) => {
    const tool = guardedWith(z.object({ to: z.string() }));
    expect(() => build(tool)).not.toThrow();
    expect(tool.inputJsonSchema()).toMatchObject({ type: 'object', properties: { to: { type: 'string' } } });
  });
});
