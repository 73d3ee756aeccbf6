/**
 * What every AgentGuard framework example shares: an agent identity, a policy, a human approver's key, an
 * audit log file, three guarded tools, and a report of what was allowed, denied and approved. Only the
 * framework code differs from one example to the next, so this part lives here once.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyLog } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createApproval } from '@agentguard/attestation';
import { z } from 'zod';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = {
  version: 1,
  id: 'example',
  rules: [
    { id: 'weather-for-everyone', effect: 'allow', tools: ['get_weather'] },
    { id: 'no-user-deletion', effect: 'deny', tools: ['delete_*'], reason: 'agents may not delete users' },
    {
      id: 'payments-need-a-human',
      effect: 'require_approval',
      tools: ['pay_invoice'],
      reason: 'payments need a human',
    },
  ],
};

/** Stands in for the human who is asked: approves payments up to 100, refuses the rest. */
export const humanApproves = (args: unknown) =>
  ((args as { amount?: number }).amount ?? Number.POSITIVE_INFINITY) <= 100;

/** Options of {@link setup}. */
export interface SetupOptions {
  /**
   * Who asks the human: `'guard'`, the guard's own approver (for frameworks with no approval step of their
   * own); `'framework'`, the framework's approval step, answered on the server with `approve` and `reject`.
   */
  readonly approvals: 'guard' | 'framework';
}

/** Opens the audit log and creates the guard and its tools; `name` names the agent. */
export async function setup(name: string, exampleDir: string, options: SetupOptions) {
  const logPath = resolve(process.env.AGENTGUARD_DEMO_LOG ?? resolve(exampleDir, '.agentguard/audit.jsonl'));
  await mkdir(dirname(logPath), { recursive: true });
  await rm(logPath, { force: true });

  const agent = createIdentity({ name });
  const human = createIdentity({ name: 'finance-approver' });
  const approved = new Set<string>();
  const audit = await openFileAuditLog(logPath);
  const ag = createGuard({
    identity: agent,
    policy,
    audit,
    approvals: {
      approvers: [human.id],
      ...(options.approvals === 'guard'
        ? {
            // Stands in for a human: approves payments up to 100, refuses the rest, signing either answer.
            approver: async (request) => {
              const decision = humanApproves(request.args) ? 'approve' : 'reject';
              if (decision === 'approve') approved.add(request.callId);
              const subject = {
                callId: request.callId,
                tool: request.tool,
                args: request.args,
                policyHash: request.policyHash,
              };
              return createApproval(subject, { approver: human, decision });
            },
          }
        : {}),
    },
  });

  /**
   * Called on the server once the framework's own approval step granted a call (the human said yes):
   * the approver's key signs an approval bound to this call, tool, arguments and policy, which the guard
   * verifies before the tool runs. The framework's "approved" flag alone never runs a payment.
   */
  const approve = async (request: { callId: string; tool: string; args: unknown }) => {
    approved.add(request.callId);
    const subject = { callId: request.callId, tool: request.tool, args: request.args, policyHash: ag.policyHash };
    return createApproval(subject, { approver: human, decision: 'approve' });
  };

  /**
   * Called on the server when the human said no in the framework's approval step: the approver's key signs
   * the refusal, so the audit's approval.refused record names who refused (unsigned would be recorded too).
   */
  const reject = async (request: { callId: string; tool: string; args: unknown; reason?: string }) => {
    const subject = { callId: request.callId, tool: request.tool, args: request.args, policyHash: ag.policyHash };
    const why = request.reason === undefined ? {} : { reason: request.reason };
    return createApproval(subject, { approver: human, decision: 'reject', ...why });
  };

  const tools = {
    getWeather: ag.guard({
      name: 'get_weather',
      description: 'Current weather for a city',
      schema: z.object({ city: z.string().min(1).max(100) }),
      tags: ['read', 'external'],
      execute: async ({ city }) => ({ city, forecast: 'sunny', celsius: 21 }),
    }),
    deleteUser: ag.guard({
      name: 'delete_user',
      description: 'Delete a user account',
      schema: z.object({ id: z.string() }),
      tags: ['destructive'],
      execute: async () => {
        throw new Error('unreachable: the policy denies this tool');
      },
    }),
    payInvoice: ag.guard({
      name: 'pay_invoice',
      description: 'Pay an invoice',
      schema: z.object({ invoice: z.string(), amount: z.number().positive() }),
      tags: ['payment'],
      execute: async ({ invoice, amount }) => ({ paid: invoice, amount }),
    }),
  };

  // Every call, whatever the framework, is reported the same way: from the guard's own events.
  ag.events.on('completed', ({ tool, callId }) =>
    console.log(`${approved.has(callId) ? 'APPROVED' : 'ALLOWED '} ${tool} (${callId})`),
  );
  ag.events.on('denied', ({ tool, callId, denial }) =>
    console.log(
      `${denial.code === 'ERR_GUARD_APPROVAL_REFUSED' ? 'REFUSED ' : 'DENIED  '} ${tool} (${callId}): ${denial.code}: ${denial.reason}`,
    ),
  );
  ag.events.on('failed', ({ tool, callId, denial }) =>
    console.log(`FAILED   ${tool} (${callId}): ${denial.code}: ${denial.reason}`),
  );

  console.log(`agent: ${name} (${agent.id})\n`);

  async function finish(): Promise<void> {
    await ag.close();
    const report = verifyLog(await readFile(logPath, 'utf8'), { trust: [agent.id, human.id] });
    console.log(
      report.ok
        ? `\naudit log verified: ${report.records} records, hash chain and every signature intact`
        : `\naudit log FAILED verification at line ${report.line}: ${report.reason}`,
    );
    console.log(`audit log: ${logPath}`);
    console.log(`trust: ${agent.id}`);
    process.exitCode = report.ok ? 0 : 1;
  }

  return {
    ag,
    agent,
    tools,
    finish,
    approve,
    reject,
    humanApproves,
    list: [tools.getWeather, tools.deleteUser, tools.payInvoice],
  };
}

/** The example's own directory (for the default log path). */
export const exampleDir = (metaUrl: string) => resolve(dirname(fileURLToPath(metaUrl)), '..');

/** What the scripted model asks for, in one turn of parallel tool calls. */
export const script = [
  { id: 'call_weather', name: 'get_weather', args: { city: 'Lisbon' } },
  { id: 'call_delete', name: 'delete_user', args: { id: 'u-42' } },
  { id: 'call_pay_small', name: 'pay_invoice', args: { invoice: 'INV-7', amount: 40 } },
  { id: 'call_pay_large', name: 'pay_invoice', args: { invoice: 'INV-8', amount: 5000 } },
] as const;
