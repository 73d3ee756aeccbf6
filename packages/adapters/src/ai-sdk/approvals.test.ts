import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createApproval } from '@agentguard/attestation';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import * as v7 from 'ai-v7';
import { MockLanguageModelV4 } from 'ai-v7/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApproveFunction } from '../common/approvals.js';
import { buildAiSdkTool } from './build.js';
import type { PolicyDocument } from '@agentguard/policy';

type Generate = (options: { prompt: unknown }) => Promise<unknown>;
const majors = [
  {
    label: 'ai 6',
    helpers: { tool, jsonSchema },
    generateText: generateText as unknown as (o: Record<string, unknown>) => Promise<Result>,
    stepCountIs,
    mock: (g: Generate) => new MockLanguageModelV3({ doGenerate: g as never }),
  },
  {
    label: 'ai 7',
    helpers: { tool: v7.tool as unknown as typeof tool, jsonSchema: v7.jsonSchema as unknown as typeof jsonSchema },
    generateText: v7.generateText as unknown as (o: Record<string, unknown>) => Promise<Result>,
    stepCountIs: v7.stepCountIs,
    mock: (g: Generate) => new MockLanguageModelV4({ doGenerate: g as never }),
  },
];
interface Result {
  content: { type: string; approvalId?: string; toolCall?: { toolCallId: string } }[];
  response: { messages: unknown[] };
}

const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' },
    { id: 'no-delete', effect: 'deny', tools: ['delete_user'], reason: 'deleting users is not allowed' },
  ],
};
const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

function setup(
  major: (typeof majors)[number],
  sign: 'approve' | 'withhold' | 'throw' = 'approve',
  paySchema: z.ZodType<{ invoice: string }> = z.object({ invoice: z.string() }),
) {
  const human = createIdentity({ name: 'approver' });
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'agent' }),
    policy,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [human.id] },
  });
  const ran: string[] = [];
  const pay = ag.guard({
    name: 'pay',
    schema: paySchema,
    execute: ({ invoice }) => {
      ran.push(invoice);
      return `paid ${invoice}`;
    },
  });
  const del = ag.guard({
    name: 'delete_user',
    schema: z.object({ id: z.string() }),
    execute: ({ id }) => {
      ran.push(`delete ${id}`);
      return 'deleted';
    },
  });
  const signed: string[] = [];
  const asked: unknown[] = [];
  const approve: ApproveFunction = async (r) => {
    signed.push(r.callId);
    asked.push(r.args);
    if (sign === 'withhold') return null;
    if (sign === 'throw') throw new Error('approver key unavailable');
    return createApproval(
      { callId: r.callId, tool: r.tool, args: r.args, policyHash: ag.policyHash },
      { approver: human, decision: 'approve' },
    );
  };
  const tools = {
    pay: buildAiSdkTool(major.helpers, pay, { approve }),
    delete_user: buildAiSdkTool(major.helpers, del, { approve }),
  };
  const prompts: unknown[] = [];
  const model = major.mock(async (options) => {
    prompts.push(options.prompt);
    if (prompts.length === 1) {
      return {
        finishReason: { unified: 'tool-calls', raw: undefined },
        usage,
        warnings: [],
        content: [
          { type: 'tool-call', toolCallId: 'p1', toolName: 'pay', input: '{"invoice":"INV-1"}' },
          { type: 'tool-call', toolCallId: 'd1', toolName: 'delete_user', input: '{"id":"u1"}' },
        ],
      };
    }
    return {
      finishReason: { unified: 'stop', raw: undefined },
      usage,
      warnings: [],
      content: [{ type: 'text', text: 'done' }],
    };
  });
  return { model, tools, ran, signed, asked, sink, prompts, pay };
}

function toolResults(prompt: unknown): Map<string, unknown> {
  const seen = new Map<string, unknown>();
  for (const message of (prompt ?? []) as { role: string; content: unknown }[]) {
    if (message.role !== 'tool' || !Array.isArray(message.content)) continue;
    for (const part of message.content as {
      type: string;
      toolCallId: string;
      output: { value?: unknown; reason?: unknown };
    }[]) {
      if (part.type === 'tool-result') seen.set(part.toolCallId, part.output);
    }
  }
  return seen;
}

async function firstAndAnswer(
  major: (typeof majors)[number],
  s: ReturnType<typeof setup>,
  approved: boolean,
  replays = 0,
) {
  const first = await major.generateText({
    model: s.model,
    tools: s.tools,
    prompt: 'pay',
    stopWhen: major.stepCountIs(3),
  });
  const requests = first.content.filter((p) => p.type === 'tool-approval-request');
  expect(requests.map((r) => r.toolCall?.toolCallId)).toEqual(['p1']);
  expect(s.ran).toEqual([]);
  // The client's answer: only a flag. The server decides what it is worth.
  const answer = {
    role: 'tool',
    content: requests.map((r) => ({
      type: 'tool-approval-response',
      approvalId: r.approvalId,
      approved,
      reason: approved ? 'ok' : 'no',
    })),
  };
  const messages = [{ role: 'user', content: 'pay' }, ...first.response.messages, answer];
  await major.generateText({ model: s.model, tools: s.tools, messages, stopWhen: major.stepCountIs(3) });
  // A client sending the same approved answer again (its call's result left out of the history).
  for (let i = 0; i < replays; i++) {
    await major.generateText({ model: s.model, tools: s.tools, messages, stopWhen: major.stepCountIs(3) });
  }
  return s.prompts.at(-1);
}

for (const major of majors) {
  describe(`${major.label}: require_approval through the SDK's tool approval`, () => {
    it('asks only for the call needing approval; the denied call is the Denial result without asking', async () => {
      const s = setup(major);
      const first = await major.generateText({
        model: s.model,
        tools: s.tools,
        prompt: 'pay',
        stopWhen: major.stepCountIs(3),
      });
      expect(s.ran).toEqual([]);
      expect(first.content.filter((p) => p.type === 'tool-approval-request')).toHaveLength(1);
      const results = first.content.filter((p) => p.type === 'tool-result') as unknown as {
        toolCallId: string;
        output: unknown;
      }[];
      expect(results.map((r) => r.toolCallId)).toEqual(['d1']);
      expect(results[0]?.output).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED', ruleId: 'no-delete' });
      // and the same Denial reaches the model once the pending approval is answered
      const prompt = await firstAndAnswer(major, setup(major), false);
      expect(toolResults(prompt).get('d1')).toMatchObject({ value: { code: 'ERR_GUARD_POLICY_DENIED' } });
    });

    it('approval granted: approved: true makes the server sign, the guard verifies, the tool runs', async () => {
      const s = setup(major);
      const prompt = await firstAndAnswer(major, s, true);
      expect(s.signed).toEqual(['p1']);
      expect(s.ran).toEqual(['INV-1']);
      expect(toolResults(prompt).get('p1')).toMatchObject({ value: 'paid INV-1' });
      expect(s.sink.lines.some((l) => (JSON.parse(l) as { type: string }).type === 'approval.granted')).toBe(true);
    });

    it('approval refused: approved: false means nothing is signed and the tool never runs', async () => {
      const s = setup(major);
      const prompt = await firstAndAnswer(major, s, false);
      expect(s.signed).toEqual([]);
      expect(s.ran).toEqual([]);
      expect(toolResults(prompt).get('p1')).toMatchObject({ type: 'execution-denied' });
    });

    it("a client's approved: true without the server's signature never runs the tool", async () => {
      const s = setup(major, 'withhold');
      const prompt = await firstAndAnswer(major, s, true);
      expect(s.signed).toEqual(['p1']);
      expect(s.ran).toEqual([]);
      expect(toolResults(prompt).get('p1')).toMatchObject({ value: { code: 'ERR_GUARD_APPROVAL_REQUIRED' } });
    });

    it('a replayed approved answer gets no second signature: the tool runs once, the replay is refused', async () => {
      const s = setup(major);
      const prompt = await firstAndAnswer(major, s, true, 2);
      expect(s.signed).toEqual(['p1']);
      expect(s.ran).toEqual(['INV-1']);
      expect(toolResults(prompt).get('p1')).toMatchObject({ value: { code: 'ERR_GUARD_APPROVAL_REQUIRED' } });
    });

    it('approve is handed the arguments the guard decided on (a transforming schema), and the tool runs', async () => {
      const schema = z.object({ invoice: z.string() }).transform((v) => ({ ...v, currency: 'EUR' }));
      const s = setup(major, 'approve', schema as never);
      // A guard that reports what it decided on (check().args) decides on the schema's output.
      const reports = Object.hasOwn(await s.pay.check({ invoice: 'probe' }, { callId: 'probe' }), 'args');
      await firstAndAnswer(major, s, true);
      expect(s.ran).toEqual(['INV-1']);
      expect(s.asked).toEqual([reports ? { invoice: 'INV-1', currency: 'EUR' } : { invoice: 'INV-1' }]);
    });

    it('an approve function that throws fails closed: refused by the guard and audited, the tool never runs', async () => {
      const s = setup(major, 'throw');
      const prompt = await firstAndAnswer(major, s, true);
      expect(s.ran).toEqual([]);
      expect(toolResults(prompt).get('p1')).toMatchObject({ value: { code: 'ERR_GUARD_APPROVAL_REQUIRED' } });
      expect(s.sink.lines.some((l) => (JSON.parse(l) as { type: string }).type === 'approval.requested')).toBe(true);
    });
  });
}
