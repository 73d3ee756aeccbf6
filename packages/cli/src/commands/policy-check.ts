import { PolicyError } from '@agentguard/policy';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK } from '../command.js';
import { printable } from '../output.js';
import { onePositional } from './audit-common.js';
import { loadEngine, PolicyCommandError } from './policy-common.js';

const usage = `Usage: agentguard policy check <policy.json>

Validates a policy file: schema (every problem named by its JSON path), rule
and limit ids, argument conditions (regexes, pointers, paths), and the
restraint self-test (the policy must deny a canary call nobody is meant to
make). Prints the policy hash that audit records will carry.

Exit codes: 0 valid; 1 invalid or refused by the self-test; 2 usage error.
`;

/** `agentguard policy check <file>` */
export const policyCheckCommand: Command = {
  words: ['policy', 'check'],
  summary: 'Validate a policy file and print its hash',
  usage,
  async run(argv, io) {
    const { positionals } = parseArgs(argv, {});
    const file = onePositional(positionals, '<policy.json>');
    try {
      const { path, engine } = await loadEngine(file, io);
      const { policy } = engine;
      io.stdout(`OK ${printable(path)}\n`);
      io.stdout(`policy: ${printable(policy.id ?? '(no id)')} (version ${policy.version}, mode ${engine.mode})\n`);
      io.stdout(`rules: ${policy.rules.length}; limits: ${policy.limits?.length ?? 0}\n`);
      io.stdout(`hash: ${engine.hash}\n`);
      return EXIT_OK;
    } catch (error) {
      if (error instanceof PolicyError && error.code === 'ERR_POLICY_INVALID') {
        io.stdout(`INVALID ${printable(file)}: ${error.issues.length} problem(s)\n`);
        for (const issue of error.issues) io.stdout(`  ${printable(issue.path)}: ${printable(issue.message)}\n`);
        return EXIT_FAIL;
      }
      if (error instanceof PolicyError || error instanceof PolicyCommandError) {
        io.stdout(
          `FAIL ${printable(file)}: ${error instanceof PolicyError ? `${error.code}: ` : ''}${printable(error.message)}\n`,
        );
        return EXIT_FAIL;
      }
      throw error;
    }
  },
};
