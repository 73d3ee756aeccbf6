import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine, type PolicyDocument, parsePolicy } from '@agentguard/policy';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type ApprovalRequest, type Approver, createGuard, type GuardOptions } from './index.js';

// Run by `vitest --typecheck` and the package's tsc: nothing here executes.
const identity = createIdentity();
const audit = createAuditLog({ sink: createMemorySink() });
declare const text: unknown;
declare const json: unknown;
type Rule = PolicyDocument['rules'][number];

describe("createGuard's policy is the policy document type", () => {
  it('accepts a literal, an as-const literal, a parsed policy and an engine', () => {
    createGuard({ identity, audit, policy: { version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['read_*'] }] } });
    const frozen = {
      version: 1,
      rules: [{ id: 'r', effect: 'deny', tools: ['rm'], when: { '/p': { eq: 1 } } }],
    } as const;
    createGuard({ identity, audit, policy: frozen });
    createGuard({ identity, audit, policy: parsePolicy(text) });
    createGuard({ identity, audit, policy: createPolicyEngine(text) });
    expectTypeOf<GuardOptions['policy']>().not.toBeUnknown();
    expectTypeOf<PolicyDocument>().toExtend<GuardOptions['policy']>();
  });

  it('makes a typo in a rule a compile error', () => {
    // @ts-expect-error a misspelt effect
    createGuard({ identity, audit, policy: { version: 1, rules: [{ id: 'r', effect: 'alow', tools: ['x'] }] } });
    // @ts-expect-error a misspelt field ("tool" for "tools")
    createGuard({ identity, audit, policy: { version: 1, rules: [{ id: 'r', effect: 'allow', tool: ['x'] }] } });
    // @ts-expect-error a misspelt condition ("mx" for "max")
    const capped: Rule = { id: 'r', effect: 'allow', tools: ['x'], when: { '/a': { mx: 1 } } };
    createGuard({ identity, audit, policy: { version: 1, rules: [capped] } });
    // @ts-expect-error an unknown version
    createGuard({ identity, audit, policy: { version: 2, rules: [] } });
    // @ts-expect-error JSON read at run time goes through parsePolicy (or createPolicyEngine) first
    createGuard({ identity, audit, policy: json });
    const ag = createGuard({ identity, audit, policy: { version: 1, rules: [] } });
    // @ts-expect-error setPolicy takes the same type
    void ag.setPolicy({ version: 1, rules: [{ id: 'r', effect: 'permit', tools: ['x'] }] });
  });
});

describe("the approver's request", () => {
  it('types args as unknown: one approver answers for every tool of the guard, each with its own schema', () => {
    expectTypeOf<ApprovalRequest['args']>().toBeUnknown();
    expectTypeOf<Parameters<Approver>[0]>().toEqualTypeOf<ApprovalRequest>();
    const schema = z.object({ amount: z.number() });
    // The approver narrows with the tool's own schema (it was already validated by the guard, so this holds).
    const approver: Approver = (req) => {
      if (req.tool !== 'pay') return null;
      expectTypeOf(schema.parse(req.args).amount).toBeNumber();
      return null;
    };
    createGuard({ identity, audit, policy: { version: 1, rules: [] }, approvals: { approvers: [], approver } });
  });
});
