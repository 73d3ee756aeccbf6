import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { verifyLogFile } from '@agentguard/audit/file';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';
import { logTrust, TRUST_FILE_USAGE } from '../trust-file.js';
import { onePositional, parseCount, parseTrust, readNoteFile } from './audit-common.js';

const usage = `Usage: agentguard verify <log | log directory> [--trust <did:key>]... [--log-key <did:key>]...
         [--trust-file <path>] [--checkpoint <file>] [--workers <n>] [--allow-empty]

Checks an audit log: every record's JSON, schema, canonical form, hash, its
place in the hash chain, its Ed25519 signature, the DSSE call envelope inside
call.requested records, the Merkle tree and every signed checkpoint.

Options:
  --trust <did:key>    a key whose signatures anchor the log (repeatable). Every
                       record must be signed by a trusted key (agents and the log
                       key). Without --trust the log is checked but not anchored:
                       anyone could have written it.
  --log-key <did:key>  a key of the log itself (its checkpoint key); repeatable,
                       trusted as with --trust. Only log keys may sign
                       checkpoints, in the log or given with --checkpoint: an
                       agent key that signs records (or gets record hashes
                       signed through a signer process) cannot rewrite the log
                       and anchor the rewrite. Give it whenever agent and log
                       keys differ.
${TRUST_FILE_USAGE}
  --checkpoint <file>  a signed checkpoint kept elsewhere (e.g. from "agentguard
                       audit checkpoint"); proves the log still extends it, so a
                       truncated tail, a rewritten history or a fork is caught.
  --workers <n>        worker threads that check signatures while the main thread
                       parses and hashes (default: one per CPU, at most 8;
                       0 for none). The log is read as a stream, so its
                       size is not limited by memory.
  --allow-empty        accept a log with no events (empty, or checkpoints only)
                       as intact; without it such a log is unusable input
                       (exit 2): an empty file, /dev/null or a directory whose
                       log files were deleted proves nothing.

Exit codes: 0 the log is intact; 1 it is not (the first bad line is named);
2 usage error, or an input that cannot be used (unreadable, or no events).
`;

/** `agentguard verify <log> [--trust <did:key>]...` */
export const verifyCommand: Command = {
  words: ['verify'],
  summary: 'Verify an audit log: chain, hashes, signatures, envelopes',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      trust: { type: 'string', multiple: true },
      'log-key': { type: 'string', multiple: true },
      'trust-file': { type: 'string' },
      checkpoint: { type: 'string' },
      workers: { type: 'string' },
      'allow-empty': { type: 'boolean' },
    });
    const { trust, logKeys } = await logTrust(values, io, parseTrust);
    const path = resolve(io.cwd, onePositional(positionals));
    const workers = parseCount(values.workers, 'workers');
    if (workers !== undefined && workers > 64) throw new UsageError('--workers expects at most 64');
    const witness = values.checkpoint === undefined ? undefined : await readNoteFile(values.checkpoint, io);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      throw new InputError(`cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (witness !== undefined && witness.text === undefined) {
      // A checkpoint is signed text: bytes that are not UTF-8 are not that text (a byte changed).
      io.stdout(
        `FAIL ${printable(witness.path)}: ERR_AUDIT_CHECKPOINT_INVALID: external checkpoint is not valid UTF-8\n`,
      );
      io.stdout('the external checkpoint is the problem.\n');
      return EXIT_FAIL;
    }
    const checkpoint = witness?.text;
    const report = await verifyLogFile(path, {
      ...(trust === undefined ? {} : { trust }),
      ...(logKeys.length === 0 ? {} : { checkpointKeys: logKeys }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
      ...(workers === undefined ? {} : { workers }),
      // A long verification shows progress on a terminal (stderr, rewritten in place).
      ...(io.isTTY
        ? {
            onProgress: (p: { records: number; bytes: number; totalBytes: number }) => {
              io.control?.('stderr', '\r');
              io.stderr(
                `verifying: ${p.records} records, ${Math.floor((100 * p.bytes) / Math.max(p.totalBytes, 1))}% read`,
              );
            },
          }
        : {}),
    });
    if (io.isTTY) {
      io.control?.('stderr', '\r');
      io.control?.('stderr', '\u001b[K');
    }
    if (!report.ok) {
      const where = report.line === 0 || report.path === undefined ? path : `${report.path}:${report.fileLine}`;
      io.stdout(`FAIL ${printable(where)}: ${printable(report.code)}: ${printable(report.reason)}\n`);
      io.stdout(
        report.line === 0
          ? 'the external checkpoint is the problem.\n'
          : `line ${report.line} is the first bad record; the first ${report.records} record(s) verify.\n`,
      );
      return EXIT_FAIL;
    }
    // A verdict on nothing is no verdict: no events (an empty file, /dev/null, a directory that is
    // not a log, a rotated log whose files were deleted, checkpoints alone) is unusable input.
    if (report.events === 0 && values['allow-empty'] !== true) {
      // A directory is read by its rotated files' names only: say so, since a lone audit.jsonl in it is not read.
      const names =
        isDirectory && report.records === 0
          ? ' (a log directory is read from its audit-NNNNNN.jsonl files, and it has none: give a log file by its path)'
          : '';
      throw new InputError(
        `${path} holds no events (${report.records} record(s), ${report.checkpoints} checkpoint(s))${names}: nothing was verified; --allow-empty accepts that`,
      );
    }
    io.stdout(`OK ${printable(path)}: ${report.records} record(s); chain, hashes and signatures intact.\n`);
    io.stdout(`tree: ${report.records} leaves, root ${report.root}; ${report.checkpoints} checkpoint(s) verified`);
    io.stdout(
      report.sealed ? ', sealed by a final checkpoint.\n' : ', not sealed (no checkpoint after the last records).\n',
    );
    if (report.extends !== undefined) io.stdout(`extends the external checkpoint of size ${report.extends}.\n`);
    io.stdout(`signers: ${report.signers.length === 0 ? '(none)' : report.signers.map(printable).join(', ')}\n`);
    if (logKeys.length > 0) {
      io.stdout(`log keys: every checkpoint is signed by one of ${logKeys.map(printable).join(', ')}.\n`);
    } else if (report.checkpoints > 0 && trust !== undefined) {
      io.stdout(
        'log keys not given: any trusted key may sign checkpoints; pass --log-key (or a trust file with a "log" key) so only the log\'s key can anchor it.\n',
      );
    }
    if (report.anchored) {
      io.stdout('anchored: every record is signed by a trusted key.\n');
    } else {
      io.stdout('NOT ANCHORED: no --trust given, so the log is consistent but not tied to a key you trust.\n');
    }
    return EXIT_OK;
  },
};
