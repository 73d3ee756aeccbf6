import { toHex } from '@agentguard/statement';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { loadLog, onePositional, parseCount } from './audit-common.js';

const usage = `Usage: agentguard audit proof <log> --index <i> [--size <n>]

Prints, as JSON, an RFC 9162 inclusion proof that record <i> (its seq, 0-based)
is in the log's Merkle tree of <n> records, with the leaf hash, the root, and
the signed checkpoint of that size when the log has one. By default <n> is the
size of the latest checkpoint that covers the record (else the whole log).
Verify it offline with verifyInclusion() from @agentguard/audit.
`;

/** `agentguard audit proof <log> --index I [--size N]` */
export const auditProofCommand: Command = {
  words: ['audit', 'proof'],
  summary: 'Inclusion proof of one record in the log (RFC 9162)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, { index: { type: 'string' }, size: { type: 'string' } });
    const index = parseCount(values.index, 'index');
    if (index === undefined) throw new UsageError('missing --index');
    const log = await loadLog(onePositional(positionals), io);
    const covering = log.checkpoints.find((c) => c.size > index);
    const size = parseCount(values.size, 'size') ?? covering?.size ?? log.tree.size;
    if (index >= size || size > log.tree.size) {
      throw new UsageError(`--index must be below --size, and --size at most ${log.tree.size} (the log's records)`);
    }
    const checkpoint = log.checkpoints.find((c) => c.size === size);
    const proof = {
      index,
      size,
      leaf: toHex(log.tree.leaf(index)),
      root: toHex(log.tree.root(size)),
      proof: log.tree.inclusionProof(index, size).map(toHex),
      checkpoint: checkpoint?.note ?? null,
      record: log.records[index],
    };
    io.stdout(`${JSON.stringify(proof, null, 2)}\n`);
    return EXIT_OK;
  },
};
