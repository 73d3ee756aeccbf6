import type { Denial } from '@agentguard/core';
import { entryOf, refuseCall } from '../common/refusals.js';
import { parseArguments } from '../common/tools.js';

interface Part {
  readonly type?: unknown;
  readonly toolCallId?: unknown;
  readonly toolName?: unknown;
  readonly input?: unknown;
  readonly approvalId?: unknown;
  readonly approved?: unknown;
  readonly reason?: unknown;
}

function partsOf(message: unknown, role: string): readonly Part[] {
  const m = message as { role?: unknown; content?: unknown } | null;
  return m?.role === role && Array.isArray(m.content) ? (m.content as Part[]) : [];
}

/**
 * Records in the audit every tool call a human refused in the Vercel AI SDK's tool approval: call it on the
 * server with the incoming model messages before `generateText` / `streamText` (ai 6 and 7). The SDK runs no
 * tool code for a `tool-approval-response` with `approved: false` (the model just sees `execution-denied`),
 * so without this the refusal reaches no audit log.
 *
 * It reads the last message the way the SDK does: each `tool-approval-response` with `approved: false`,
 * whose call has no result anywhere in the messages, is matched to its `tool-approval-request` and `tool-call`, and the guarded
 * tool behind `tools[toolName]` (made by {@link toAiSdkTool}) records `call.requested` and
 * `approval.refused`, signed by the tool's `reject` function if it has one (see `GuardedTool.refuse`). The
 * call id then stays refused. Calling it twice on the same messages records nothing twice. Tools not made by
 * the adapter are skipped, and so is a call whose tool the guard already started (`ERR_GUARD_CALL_ALREADY_RUN`):
 * the messages come from the client, which must not be able to refuse a call that ran. UI messages: convert them with `convertToModelMessages` first.
 *
 * @param messages - the model messages the request carries (the last one holds the approval responses).
 * @param tools - the tools record given to the SDK (`toAiSdkTools(...)`).
 * @returns the Denials recorded, one per refused call.
 * @throws GuardError `ERR_GUARD_AUDIT_FAILED` when a refusal cannot be written (the calls stay refused).
 * @example
 * ```ts
 * const messages = await convertToModelMessages(uiMessages);
 * await refuseDeniedApprovals(messages, tools);
 * return streamText({ model, tools, messages }).toUIMessageStreamResponse();
 * ```
 */
export async function refuseDeniedApprovals(
  messages: readonly unknown[],
  tools: Readonly<Record<string, unknown>>,
): Promise<Denial[]> {
  if (!Array.isArray(messages)) throw new TypeError('"messages" expected an array of model messages');
  if (typeof tools !== 'object' || tools === null) throw new TypeError('"tools" expected a record of tools');
  const last = messages.at(-1);
  const responses = partsOf(last, 'tool').filter((p) => p.type === 'tool-approval-response' && p.approved === false);
  if (responses.length === 0) return [];
  // Calls with a result anywhere in the history ran (or were answered): never refused after the fact. The
  // messages come from the client, so this is not the only check: the guard refuses to refuse a call it ran.
  const answered = new Set<unknown>();
  const requests = new Map<unknown, Part>();
  const calls = new Map<unknown, Part>();
  for (const message of messages) {
    for (const part of partsOf(message, 'tool')) if (part.type === 'tool-result') answered.add(part.toolCallId);
    for (const part of partsOf(message, 'assistant')) {
      if (part.type === 'tool-approval-request') requests.set(part.approvalId, part);
      if (part.type === 'tool-call') calls.set(part.toolCallId, part);
    }
  }
  const refused: Denial[] = [];
  const seen = new Set<unknown>();
  for (const response of responses) {
    const callId = requests.get(response.approvalId)?.toolCallId;
    if (typeof callId !== 'string' || answered.has(callId) || seen.has(callId)) continue;
    seen.add(callId);
    const call = calls.get(callId);
    const name = call?.toolName;
    if (call === undefined || typeof name !== 'string' || !Object.hasOwn(tools, name)) continue;
    const entry = entryOf(tools[name]);
    if (entry === undefined) continue;
    const reason = typeof response.reason === 'string' ? response.reason : undefined;
    const options = { callId, ...(reason === undefined ? {} : { reason }) };
    try {
      refused.push(await refuseCall(entry, parseArguments(call.input), options));
    } catch (error) {
      // The guard knows this call's tool already started (a client replaying a call that ran): nothing written.
      if ((error as { code?: unknown } | null)?.code !== 'ERR_GUARD_CALL_ALREADY_RUN') throw error;
    }
  }
  return refused;
}
