import { resolve } from 'node:path';
import { evaluateFiles } from '@agentguard/monitor/node';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';

const usage = `Usage: agentguard profile evaluate --train <sessions.jsonl> --sessions <sessions.jsonl> --out <predictions.jsonl>

Learns profiles from --train exactly as "profile learn" would, replays every
session of --sessions through the online detector exactly as guard() would
(score before each call, observe its result after), and writes one line per
session: {"session_id", "flagged", "first_flagged_call"}, the format score.py reads.
Labels in the files are never read.

Exit codes: 0 written; 2 usage or a malformed session line.
`;

/** `agentguard profile evaluate --train a --sessions b --out p` */
export const profileEvaluateCommand: Command = {
  words: ['profile', 'evaluate'],
  summary: 'Score a session corpus with a profile learned from another (predictions for score.py)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      train: { type: 'string' },
      sessions: { type: 'string' },
      out: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]?.slice(0, 80)}"`);
    for (const name of ['train', 'sessions', 'out'] as const) {
      if (values[name] === undefined) throw new UsageError(`missing --${name} <file>`);
    }
    const at = (p: string | undefined) => resolve(io.cwd, p as string);
    const started = performance.now();
    let predictions: Awaited<ReturnType<typeof evaluateFiles>>['predictions'];
    try {
      ({ predictions } = await evaluateFiles({
        train: at(values.train),
        sessions: at(values.sessions),
        out: at(values.out),
      }));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_MONITOR_INPUT_INVALID') {
        throw new InputError(`ERR_MONITOR_INPUT_INVALID: ${(error as Error).message}`);
      }
      throw error;
    }
    const flagged = predictions.filter((p) => p.flagged).length;
    const ms = Math.round(performance.now() - started);
    io.stdout(`wrote ${printable(at(values.out))}: ${predictions.length} sessions, ${flagged} flagged (${ms} ms)\n`);
    return EXIT_OK;
  },
};
