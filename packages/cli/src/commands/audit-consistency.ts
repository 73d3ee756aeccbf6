import { toHex } from '@agentguard/statement';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { loadLog, onePositional, parseCount } from './audit-common.js';

const usage = `Usage: agentguard audit consistency <log> --from <n1> [--to <n2>]

Prints, as JSON, an RFC 9162 consistency proof that the log's tree of <n1>
records is a prefix of its tree of <n2> records (default: all records), with
both roots and the signed checkpoints of those sizes when the log has them.
Verify it offline with verifyConsistency() from @agentguard/audit.
`;

/** `agentguard audit consistency <log> --from N1 --to N2` */
export const auditConsistencyCommand: Command = {
  words: ['audit', 'consistency'],
  summary: 'Consistency proof between two sizes of the log (RFC 9162)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, { from: { type: 'string' }, to: { type: 'string' } });
    const from = parseCount(values.from, 'from');
    if (from === undefined) throw new UsageError('missing --from');
    const log = await loadLog(onePositional(positionals), io);
    const to = parseCount(values.to, 'to') ?? log.tree.size;
    if (from < 1 || from > to || to > log.tree.size) {
      throw new UsageError(`expected 1 <= --from <= --to <= ${log.tree.size} (the log's records)`);
    }
    const noteOf = (size: number) => log.checkpoints.find((c) => c.size === size)?.note ?? null;
    const proof = {
      size1: from,
      size2: to,
      root1: toHex(log.tree.root(from)),
      root2: toHex(log.tree.root(to)),
      proof: log.tree.consistencyProof(from, to).map(toHex),
      checkpoint1: noteOf(from),
      checkpoint2: noteOf(to),
    };
    io.stdout(`${JSON.stringify(proof, null, 2)}\n`);
    return EXIT_OK;
  },
};
