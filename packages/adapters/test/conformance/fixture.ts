import { createAuditLog, createMemorySink, type MemorySink } from '@agentguard/audit';
import { createGuard, type Guard } from '@agentguard/core';
import { type AgentIdentity, createIdentity } from '@agentguard/identity';
import { createApproval } from '@agentguard/attestation';
import { z } from 'zod';
import type { AnyGuardedTool } from '../../src/common/tools.js';
import type { PolicyDocument } from '@agentguard/policy';

/** The policy every scenario runs under. */
export const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'allow-math', effect: 'allow', tools: ['add', 'boom', 'slow'] },
    { id: 'no-delete', effect: 'deny', tools: ['delete_*'], reason: 'deleting users is not allowed' },
    { id: 'payments-need-approval', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' },
  ],
};

/** The tools' raw implementations and specs, shared by every framework (MCP serves them remotely). */
export function toolSpecs(ran: Record<string, number>) {
  const count = (name: string) => {
    ran[name] = (ran[name] ?? 0) + 1;
  };
  return {
    add: {
      description: 'Adds two numbers',
      schema: z.object({ a: z.number(), b: z.number() }),
      tags: ['read'],
      execute: ({ a, b }: { a: number; b: number }) => {
        count('add');
        return a + b;
      },
    },
    delete_user: {
      description: 'Deletes a user',
      schema: z.object({ id: z.string() }),
      tags: ['destructive'],
      execute: ({ id }: { id: string }) => {
        count('delete_user');
        return `deleted ${id}`;
      },
    },
    boom: {
      description: 'Always fails',
      schema: z.object({}),
      execute: (): never => {
        count('boom');
        throw new Error('kaboom');
      },
    },
    slow: {
      description: 'Never finishes on its own',
      schema: z.object({}),
      timeoutMs: 50,
      execute: (_args: unknown, ctx: { signal: AbortSignal }) => {
        count('slow');
        return new Promise<string>((resolve) => {
          const timer = setTimeout(() => resolve('late'), 5_000);
          timer.unref();
          ctx.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
        });
      },
    },
    pay: {
      description: 'Pays an invoice',
      schema: z.object({ invoice: z.string(), amount: z.number().positive() }),
      tags: ['payment'],
      execute: ({ invoice }: { invoice: string }) => {
        count('pay');
        return `paid ${invoice}`;
      },
    },
  } as const;
}

export type ToolName = keyof ReturnType<typeof toolSpecs>;

/** A guard over a memory audit log, the guarded tools, and how often each tool body ran. */
export interface Fixture {
  readonly identity: AgentIdentity;
  readonly guard: Guard;
  readonly sink: MemorySink;
  readonly ran: Record<string, number>;
  readonly tools: Record<ToolName, AnyGuardedTool>;
  readonly specs: ReturnType<typeof toolSpecs>;
}

/** A human approver's key, and what it answers when a call needs approval (none: nobody is asked). */
const human = createIdentity({ name: 'conformance-approver' });

/** The did:key of the human approver, as the audit must name them. */
export const approverId = human.id;

/** Signs, as the human, an approval or a rejection of one call under the fixture's policy (server side). */
export function signAs(
  fx: Fixture,
  call: { readonly callId: string; readonly tool: string; readonly args: unknown },
  decision: 'approve' | 'reject',
) {
  return createApproval(
    { callId: call.callId, tool: call.tool, args: call.args, policyHash: fx.guard.policyHash },
    { approver: human, decision },
  );
}

export function createFixture(options: { approver?: 'approve' | 'reject' } = {}): Fixture {
  const identity = createIdentity({ name: 'conformance-agent' });
  const sink = createMemorySink();
  const decision = options.approver;
  const guard = createGuard({
    identity,
    policy,
    audit: createAuditLog({ sink }),
    approvals: {
      approvers: [human.id],
      ...(decision === undefined
        ? {}
        : {
            approver: (request) =>
              createApproval(
                { callId: request.callId, tool: request.tool, args: request.args, policyHash: request.policyHash },
                { approver: human, decision },
              ),
          }),
    },
  });
  const ran: Record<string, number> = {};
  const specs = toolSpecs(ran);
  const tools = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, guard.guard({ name, ...spec } as never) as AnyGuardedTool]),
  ) as Record<ToolName, AnyGuardedTool>;
  return { identity, guard, sink, ran, tools, specs };
}

/** One tool call a scripted model makes. */
export interface ScriptedCall {
  readonly id: string;
  readonly name: ToolName;
  readonly args: unknown;
}

/** Runs scripted calls through one framework and returns, per call id, the tool result text the model saw. */
export interface Harness {
  readonly name: string;
  run(fixture: Fixture, calls: readonly ScriptedCall[]): Promise<Map<string, string>>;
  /**
   * For frameworks with an approval step of their own: runs the calls, answers each approval request in the
   * framework (reject the ids in `rejected`, approve the others; both signed by the human on the server
   * through the adapter's `approve` / `reject` hooks), resumes, and returns what the model saw.
   */
  runWithApprovals?(
    fixture: Fixture,
    calls: readonly ScriptedCall[],
    rejected: ReadonlySet<string>,
  ): Promise<Map<string, string>>;
  /** Releases what `run` opened (servers, transports). */
  close?(): Promise<void>;
}
