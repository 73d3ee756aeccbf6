import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Observation, suggestPolicy } from '@agentguard/policy';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { onePositional } from './audit-common.js';
import { printable } from '../output.js';
import { PolicyCommandError } from './policy-common.js';
import { readLoggedCalls, withoutPointers } from './policy-log.js';

const usage = `Usage: agentguard policy suggest <audit.jsonl> [--id <id>] [--include-denied] [--out <file>]

Writes the least-privilege policy that would allow what the log shows was
allowed (run the agent with a policy in "monitor" mode first, so that every
call it makes is allowed and recorded): one allow rule per agent and tool,
narrowed by argument conditions drawn from the observed values (numeric
ranges, value sets, common directories, URL hosts, sizes). Review every rule
before enforcing it. The log is verified first. Arguments the log holds
redacted (secrets, personal data, fields a rule redacts) get no condition:
their recorded value is a marker, not the value; they are named on stderr.

Options:
  --id <id>            policy id                           (default: suggested)
  --include-denied     also allow calls that were denied or awaited approval
  --out <file>         write the policy there instead of standard output
                       (never overwrites an existing file)

Exit codes: 0 written; 1 bad log or nothing to suggest from; 2 usage error.
`;

/** `agentguard policy suggest <log>` */
export const policySuggestCommand: Command = {
  words: ['policy', 'suggest'],
  summary: 'Suggest a least-privilege policy from the calls in an audit log',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      id: { type: 'string' },
      'include-denied': { type: 'boolean' },
      out: { type: 'string' },
    });
    const file = onePositional(positionals, '<audit.jsonl>');
    if (values.id !== undefined && values.id.length === 0) throw new UsageError('--id must not be empty');
    try {
      const { path, calls } = await readLoggedCalls(file, io);
      const kept = calls.filter(
        (c) => c.effect === 'allow' || (values['include-denied'] === true && c.effect !== undefined),
      );
      // A field redacted in any call of a tool gets no condition in that tool's rules.
      const redacted = new Map<string, Set<string>>();
      for (const c of kept) {
        for (const pointer of c.redacted) {
          const set = redacted.get(c.tool) ?? new Set<string>();
          set.add(pointer);
          redacted.set(c.tool, set);
        }
      }
      const none = new Set<string>();
      const observations: Observation[] = kept.map((c) => ({
        agent: c.agent,
        tool: c.tool,
        ...(c.args === undefined ? {} : { args: withoutPointers(c.args, redacted.get(c.tool) ?? none) }),
      }));
      if (observations.length === 0) {
        io.stdout(`FAIL ${path}: no allowed calls to suggest a policy from\n`);
        return EXIT_FAIL;
      }
      const policy = suggestPolicy(observations, { id: values.id ?? 'suggested' });
      const json = `${JSON.stringify(policy, null, 2)}\n`;
      if (values.out === undefined) io.stdout(json);
      else {
        const out = resolve(io.cwd, values.out);
        await writeFile(out, json, { flag: 'wx' }).catch((cause: { code?: string }) => {
          throw new PolicyCommandError(`cannot write ${out}${cause.code === undefined ? '' : ` (${cause.code})`}`);
        });
        io.stdout(`wrote ${out}\n`);
      }
      for (const [tool, pointers] of redacted) {
        io.stderr(
          `${printable(tool)}: ${[...pointers].map(printable).join(', ')} redacted in the log, so no condition was drawn from it; add one by hand\n`,
        );
      }
      io.stderr(
        `suggested ${policy.rules.length} rule(s) from ${observations.length} call(s) in ${path}; review before enforcing\n`,
      );
      return EXIT_OK;
    } catch (error) {
      if (error instanceof PolicyCommandError) {
        io.stdout(`FAIL ${printable(error.message)}\n`);
        return EXIT_FAIL;
      }
      throw error;
    }
  },
};
