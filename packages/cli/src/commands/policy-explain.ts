import type { DecisionAgent, DecisionRequest } from '@agentguard/policy';
import { compileGlob } from '@agentguard/policy/internal';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { onePositional } from './audit-common.js';
import { printable } from '../output.js';
import { list, loadEngine, parseJsonOption, parseNow } from './policy-common.js';

const usage = `Usage: agentguard policy explain <policy.json> --agent <id> --tool <name> [options]

Decides one call against the policy and prints the decision as JSON: effect,
deciding rule, reason, every matched rule, policy hash, mode, obligations.

Options:
  --agent <id>          the agent's id (usually its did:key)       (required)
  --agent-name <name>   the agent's name                   (default: the id)
  --tool <name>         the tool's name                            (required)
  --args <json>         the call's arguments                   (default: {})
  --tags <a,b>          the tool's tags (read, write, destructive, …)
  --labels <a,b>        the tool's data-flow labels (reads:pii, egress, …)
  --owner <owner>       credential attribute
  --environment <env>   credential attribute
  --risk-tier <tier>    credential attribute
  --scopes <a,b>        credential attribute
  --delegation-depth <n>
  --now <iso-time>      time of the call                      (default: now)

Exit codes: 0 allowed; 1 denied or approval required; 2 usage error.
`;

/** `agentguard policy explain <file> --agent --tool --args <json>` */
export const policyExplainCommand: Command = {
  words: ['policy', 'explain'],
  summary: 'Decide one call against a policy and print the decision as JSON',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      agent: { type: 'string' },
      'agent-name': { type: 'string' },
      tool: { type: 'string' },
      args: { type: 'string' },
      tags: { type: 'string' },
      labels: { type: 'string' },
      owner: { type: 'string' },
      environment: { type: 'string' },
      'risk-tier': { type: 'string' },
      scopes: { type: 'string' },
      'delegation-depth': { type: 'string' },
      now: { type: 'string' },
    });
    const file = onePositional(positionals, '<policy.json>');
    if (values.agent === undefined) throw new UsageError('missing --agent');
    if (values.tool === undefined) throw new UsageError('missing --tool');
    const depth = values['delegation-depth'];
    if (depth !== undefined && !/^\d+$/.test(depth)) throw new UsageError('--delegation-depth expects a whole number');
    const args = parseJsonOption(values.args, 'args');
    const nowMs = parseNow(values.now);
    const agent: DecisionAgent = {
      id: values.agent,
      name: values['agent-name'] ?? values.agent,
      ...(values.owner === undefined ? {} : { owner: values.owner }),
      ...(values.environment === undefined ? {} : { environment: values.environment }),
      ...(values['risk-tier'] === undefined ? {} : { riskTier: values['risk-tier'] }),
      ...(values.scopes === undefined ? {} : { scopes: list(values.scopes) ?? [] }),
      ...(depth === undefined ? {} : { delegationDepth: Number(depth) }),
    };
    const tags = list(values.tags);
    const labels = list(values.labels);
    const request: DecisionRequest = {
      agent,
      tool: { name: values.tool, ...(tags === undefined ? {} : { tags }), ...(labels === undefined ? {} : { labels }) },
      args,
      ...(nowMs === undefined ? {} : { nowMs }),
    };
    const { engine } = await loadEngine(file, io);
    const decision = await engine.decide(request);
    io.stdout(`${JSON.stringify(decision, null, 2)}\n`);
    // A default deny names no rule: say which rules name this tool and did not apply, so the condition that
    // failed (often a tag or an agent not given here) can be looked for.
    if (decision.effect === 'deny' && decision.ruleId === null) {
      const named = engine.policy.rules
        .filter((rule) => rule.effect !== 'deny' && (rule.tools ?? []).some((t) => safeMatch(t, values.tool as string)))
        .map((rule) => {
          const needs = [
            rule.tags === undefined ? '' : `tags ${rule.tags.join(', ')} (--tags)`,
            rule.agents === undefined ? '' : `agents ${rule.agents.join(', ')} (--agent-name)`,
          ].filter((n) => n !== '');
          return `${rule.id}${needs.length === 0 ? '' : ` needs ${needs.join(' and ')}`}`;
        });
      if (named.length > 0) {
        io.stderr(`note: rule(s) naming this tool did not apply: ${printable(named.slice(0, 5).join('; '))}\n`);
      }
    }
    return decision.effect === 'allow' ? EXIT_OK : EXIT_FAIL;
  },
};

/** Whether a rule's tool pattern names `tool`; a pattern the glob grammar refuses names nothing. */
function safeMatch(pattern: string, tool: string): boolean {
  try {
    return compileGlob(pattern)(tool);
  } catch {
    return false;
  }
}
