import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK } from '../command.js';
import { loadLog, onePositional, printable } from './audit-common.js';

const usage = `Usage: agentguard audit checkpoint <log> [--all]

Prints the log's latest signed checkpoint (C2SP tlog-checkpoint in signed-note
form), after checking the whole log. Keep it elsewhere and later run
"agentguard verify <log> --checkpoint <file>" to prove the log still extends it.

Options:
  --all   print every checkpoint, oldest first, separated by blank lines
`;

/** `agentguard audit checkpoint <log>` */
export const auditCheckpointCommand: Command = {
  words: ['audit', 'checkpoint'],
  summary: "Print the log's latest signed checkpoint",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, { all: { type: 'boolean' } });
    const log = await loadLog(onePositional(positionals), io);
    const latest = log.checkpoints.at(-1);
    if (latest === undefined) {
      io.stderr(`${printable(log.path)} has no checkpoint (was the log written without a checkpoint signer?)\n`);
      return EXIT_FAIL;
    }
    io.stdout(values.all === true ? log.checkpoints.map((c) => c.note).join('\n') : latest.note);
    return EXIT_OK;
  },
};
