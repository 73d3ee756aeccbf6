import { createMemoryStateStore, type Effect, PolicyError } from '@agentguard/policy';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';
import { loadEngine, PolicyCommandError } from './policy-common.js';
import { readLoggedCalls } from './policy-log.js';

const usage = `Usage: agentguard policy replay <policy.json> <audit.jsonl> [--json] [--allow-empty]

Decides every call recorded in an audit log again, under a candidate policy,
and lists the calls it would have decided differently from the policy that
decided them then (for a call allowed in monitor mode, "then" is what the
policy would have done: deny). The log is verified first. Calls are replayed
in log order at their recorded times, one session per agent, with fresh
limits. Calls recorded without arguments (sensitive tools) are replayed with
empty arguments and marked, and so are calls with redacted arguments (the
log holds a marker, not the value, so a condition on it may decide
differently than it would have on the real value).

Options:
  --json          print the differences as a JSON array
  --allow-empty   accept a log with no decided call to replay; without it,
                  such a log is unusable input (exit 2): no difference found
                  in nothing proves nothing

Exit codes: 0 no call would be decided differently; 1 some would (or the log
or policy is bad); 2 usage error, or a log with no call to replay.
`;

/** `agentguard policy replay <policy> <log>` */
export const policyReplayCommand: Command = {
  words: ['policy', 'replay'],
  summary: 'Show which logged calls a candidate policy would decide differently',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, { json: { type: 'boolean' }, 'allow-empty': { type: 'boolean' } });
    if (positionals.length !== 2) throw new UsageError('expected <policy.json> and <audit.jsonl>');
    const [policyFile, logFile] = positionals as [string, string];
    try {
      const { engine } = await loadEngine(policyFile, io, { stateStore: createMemoryStateStore() });
      const { path, calls } = await readLoggedCalls(logFile, io);
      const diffs = [];
      let replayed = 0;
      let skipped = 0;
      for (const call of calls) {
        if (call.effect === undefined) {
          skipped++;
          continue;
        }
        replayed++;
        const decision = await engine.decide({
          agent: { id: call.agent, name: call.agentName },
          tool: { name: call.tool, tags: call.tags, labels: call.labels },
          args: call.args ?? {},
          session: { id: call.agent },
          nowMs: Date.parse(call.ts),
        });
        const before: Effect = call.wouldDeny ? 'deny' : call.effect;
        const after: Effect = decision.wouldDeny === true ? 'deny' : decision.effect;
        if (before === after) continue;
        diffs.push({
          line: call.line,
          callId: call.callId,
          agent: call.agent,
          tool: call.tool,
          before,
          after,
          ruleId: decision.ruleId,
          reason: decision.reason,
          argsRecorded: call.args !== undefined,
          redacted: call.redacted,
        });
      }
      if (replayed === 0 && values['allow-empty'] !== true) {
        throw new InputError(
          `${path} holds no call that reached a decision (${skipped} skipped): nothing to replay; --allow-empty accepts that`,
        );
      }
      if (values.json === true) {
        io.stdout(`${JSON.stringify(diffs, null, 2)}\n`);
      } else {
        for (const d of diffs) {
          io.stdout(
            `line ${d.line}: ${printable(d.tool)} (call ${printable(d.callId)}, agent ${printable(d.agent)}): ${d.before} -> ${d.after}\n`,
          );
          const caveat = !d.argsRecorded
            ? ' [arguments were not recorded]'
            : d.redacted.length > 0
              ? ` [redacted in the log: ${d.redacted.map(printable).join(', ')}; decided on the marker, not the value]`
              : '';
          io.stdout(`     ${printable(d.reason)}${caveat}\n`);
        }
        const counts = new Map<string, number>();
        for (const d of diffs)
          counts.set(`${d.before} -> ${d.after}`, (counts.get(`${d.before} -> ${d.after}`) ?? 0) + 1);
        const uncertain = diffs.filter((d) => !d.argsRecorded || d.redacted.length > 0).length;
        if (uncertain > 0) counts.set('on unrecorded or redacted arguments', uncertain);
        const detail = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
        io.stdout(
          `replayed ${replayed} call(s) from ${printable(path)} under ${engine.hash}: ${diffs.length} decided differently${detail === '' ? '' : ` (${detail})`}; ${skipped} skipped (never reached a decision)\n`,
        );
      }
      return diffs.length === 0 ? EXIT_OK : EXIT_FAIL;
    } catch (error) {
      if (error instanceof PolicyError || error instanceof PolicyCommandError) {
        io.stdout(`FAIL ${error instanceof PolicyError ? `${error.code}: ` : ''}${printable(error.message)}\n`);
        return EXIT_FAIL;
      }
      throw error;
    }
  },
};
