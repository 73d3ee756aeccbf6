import { verifyLog } from '@agentguard/audit';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK } from '../command.js';
import { onePositional, parseTrust, readLogFile } from './audit-common.js';

const usage = `Usage: agentguard verify <log | log directory> [--trust <did:key>]... [--checkpoint <file>]

Checks an audit log: every record's JSON, schema, canonical form, hash, its
place in the hash chain, its Ed25519 signature, the DSSE call envelope inside
call.requested records, the Merkle tree and every signed checkpoint.

Options:
  --trust <did:key>    a key whose signatures anchor the log (repeatable). Every
                       record must be signed by a trusted key (agents and the log
                       key). Without --trust the log is checked but not anchored:
                       anyone could have written it.
  --checkpoint <file>  a signed checkpoint kept elsewhere (e.g. from "agentguard
                       audit checkpoint"); proves the log still extends it, so a
                       truncated tail, a rewritten history or a fork is caught.

Exit codes: 0 the log is intact; 1 it is not (the first bad line is named); 2 usage error.
`;

/** `agentguard verify <log> [--trust <did:key>]...` */
export const verifyCommand: Command = {
  words: ['verify'],
  summary: 'Verify an audit log: chain, hashes, signatures, envelopes',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      trust: { type: 'string', multiple: true },
      checkpoint: { type: 'string' },
    });
    const trust = parseTrust(values.trust);
    const logPath = onePositional(positionals);
    const checkpoint = values.checkpoint === undefined ? undefined : (await readLogFile(values.checkpoint, io)).text;
    const { path, text, where } = await readLogFile(logPath, io);
    const report = verifyLog(text, {
      ...(trust === undefined ? {} : { trust }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
      // A long verification shows progress on a terminal (stderr, rewritten in place).
      ...(io.isTTY
        ? { onProgress: (n: number, total: number) => io.stderr(`\rverifying ${n} / ${total} records`) }
        : {}),
    });
    if (io.isTTY) io.stderr('\r\u001b[K');
    if (!report.ok) {
      io.stdout(`FAIL ${report.line === 0 ? path : where(report.line)}: ${report.code}: ${report.reason}\n`);
      io.stdout(
        report.line === 0
          ? 'the external checkpoint is the problem.\n'
          : `line ${report.line} is the first bad record; the ${report.records} record(s) before it verify.\n`,
      );
      return EXIT_FAIL;
    }
    io.stdout(`OK ${path}: ${report.records} record(s); chain, hashes and signatures intact.\n`);
    io.stdout(`tree: ${report.records} leaves, root ${report.root}; ${report.checkpoints} checkpoint(s) verified`);
    io.stdout(
      report.sealed ? ', sealed by a final checkpoint.\n' : ', not sealed (no checkpoint after the last records).\n',
    );
    if (report.extends !== undefined) io.stdout(`extends the external checkpoint of size ${report.extends}.\n`);
    io.stdout(`signers: ${report.signers.length === 0 ? '(none)' : report.signers.join(', ')}\n`);
    if (report.anchored) {
      io.stdout('anchored: every record is signed by a trusted key.\n');
    } else {
      io.stdout('NOT ANCHORED: no --trust given, so the log is consistent but not tied to a key you trust.\n');
    }
    return EXIT_OK;
  },
};
