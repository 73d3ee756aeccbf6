import { PolicyError, parsePolicyTestFile, type PolicyTestCase, runPolicyTests } from '@agentguard/policy';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { printable } from '../output.js';
import { loadEngine, PolicyCommandError, readJsonFile } from './policy-common.js';

const usage = `Usage: agentguard policy test <policy.json> <cases.json> [--fail-on-uncovered]

Runs fixture cases against a policy and reports which rules no case exercises.
Cases run in order against one engine, so sessions and limits carry over.

cases.json:
  { "version": 1, "cases": [
    { "name": "reads are fine", "agent": "did:key:z6Mk…", "tool": "read_file",
      "args": { "path": "/srv/data/a" }, "expect": "allow" },
    { "name": "no deletes", "agent": { "id": "bot", "environment": "prod" },
      "tool": { "name": "rm", "tags": ["destructive"] },
      "expect": { "effect": "deny", "ruleId": "no-destructive" } } ] }
  Optional per case: "session" (id), "now" (ISO time).

Options:
  --fail-on-uncovered   exit 1 when a rule is exercised by no case

Exit codes: 0 all cases pass; 1 a case fails (or a rule is uncovered with the flag); 2 usage error.
`;

/** `agentguard policy test <policy> <cases>` */
export const policyTestCommand: Command = {
  words: ['policy', 'test'],
  summary: 'Run fixture cases against a policy and report rule coverage',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, { 'fail-on-uncovered': { type: 'boolean' } });
    if (positionals.length !== 2) throw new UsageError('expected <policy.json> and <cases.json>');
    const [policyFile, casesFile] = positionals as [string, string];
    let report: Awaited<ReturnType<typeof runPolicyTests>>;
    try {
      const { engine } = await loadEngine(policyFile, io);
      const { path, json } = await readJsonFile(casesFile, io, 'cases');
      let cases: readonly PolicyTestCase[];
      try {
        ({ cases } = parsePolicyTestFile(json));
      } catch (error) {
        // The same validation the library applies, named by the file it came from.
        if (error instanceof PolicyError) throw new PolicyCommandError(`${path}: ${error.message}`);
        throw error;
      }
      report = await runPolicyTests(engine, cases);
    } catch (error) {
      if (error instanceof PolicyError || error instanceof PolicyCommandError) {
        io.stdout(`FAIL ${error instanceof PolicyError ? `${error.code}: ` : ''}${printable(error.message)}\n`);
        return EXIT_FAIL;
      }
      throw error;
    }
    for (const r of report.results) {
      const d = r.decision;
      io.stdout(
        `${r.ok ? 'PASS' : 'FAIL'} ${printable(r.name)}: ${d.effect}${d.ruleId === null ? '' : ` by ${printable(d.ruleId)}`}\n`,
      );
      for (const p of r.problems) io.stdout(`     ${printable(p)}\n`);
      if (!r.ok) io.stdout(`     reason: ${printable(d.reason)}\n`);
    }
    io.stdout(`\n${report.passed} passed, ${report.failed} failed\n`);
    if (report.uncovered.length === 0) io.stdout('coverage: every rule is exercised by a case\n');
    else for (const id of report.uncovered) io.stdout(`uncovered: rule "${printable(id)}" is exercised by no case\n`);
    const uncoveredFails = values['fail-on-uncovered'] === true && report.uncovered.length > 0;
    return report.failed > 0 || uncoveredFails ? EXIT_FAIL : EXIT_OK;
  },
};
