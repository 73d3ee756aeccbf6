import type { Policy } from '@agentguard/policy';
import { compileGlob } from '@agentguard/policy/internal';

/** One reason a policy cannot be enforced by the signer process: the rule or limit, the field, why. */
export interface SignerPolicyProblem {
  /** `rules[3] "no-destructive"`, `limits[0] "deploys"` or `policy`. */
  readonly where: string;
  /** The field the signer cannot evaluate. */
  readonly field: string;
  readonly why: string;
}

const matchesAny = (globs: readonly string[], text: string) => globs.some((g) => compileGlob(g)(text));

/**
 * Which parts of `policy` the signer process cannot decide. The signer sees only
 * the signed statement (tool, agent did:key, call id, times) and the arguments
 * bound to it by digest. Everything else a rule may consult lives in the agent
 * process, which the signer does not trust: the tool's tags and data-flow labels,
 * the session's taint, the credential's attributes, the agent's name, sessions
 * and credentials as limit scopes. A rule on those could apply to a call without
 * the signer knowing, so it would sign calls the policy denies; such a policy is
 * refused as a whole (with every problem named) instead of half-enforced.
 *
 * @param policy - the validated policy.
 * @param self - the did:key the signer holds (the only agent it signs for).
 * @returns the problems; empty when the signer can enforce the policy exactly or more strictly.
 */
export function signerPolicyProblems(policy: Policy, self: string): SignerPolicyProblem[] {
  const problems: SignerPolicyProblem[] = [];
  if (policy.mode === 'off') {
    problems.push({
      where: 'policy',
      field: 'mode',
      why: '"off" allows every call unevaluated; use --allow-any to say that on purpose',
    });
  }
  policy.rules.forEach((rule, i) => {
    const where = `rules[${i}] ${JSON.stringify(rule.id)}`;
    const unseen = [
      ['tags', 'the signer cannot see the tool’s tags'],
      ['labels', 'the signer cannot see the tool’s data-flow labels'],
      ['taintedBy', 'the signer cannot see what the session has read (data-flow taint)'],
      ['subject', 'the signer cannot see the agent’s credential'],
      ['monitor', 'the signer has no runtime monitor verdict'],
    ] as const;
    for (const [field, why] of unseen) if (rule[field] !== undefined) problems.push({ where, field, why });
    // An allow rule for another name can only fail to grant; a deny or approval rule for a name could apply
    // to this agent under a name the signer cannot see.
    if (rule.agents !== undefined && rule.effect !== 'allow' && !matchesAny(rule.agents, self)) {
      problems.push({
        where,
        field: 'agents',
        why: `none of its globs matches this signer's key ${self}, and the signer cannot see the agent's name; name agents by did:key`,
      });
    }
  });
  policy.limits?.forEach((limit, i) => {
    const where = `limits[${i}] ${JSON.stringify(limit.id)}`;
    for (const scope of limit.per ?? []) {
      if (scope === 'session' || scope === 'credential') {
        problems.push({ where, field: 'per', why: `the signer cannot see the call's ${scope}` });
      }
    }
    if (limit.agents !== undefined && !matchesAny(limit.agents, self)) {
      problems.push({
        where,
        field: 'agents',
        why: `none of its globs matches this signer's key ${self}, and the signer cannot see the agent's name; name agents by did:key`,
      });
    }
  });
  return problems;
}
