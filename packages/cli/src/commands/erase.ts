import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { eraseSubject, isSealedValue, readLog } from '@agentguard/audit';
import { verifyLogFile } from '@agentguard/audit/file';
import { createFileKeyStore } from '@agentguard/audit/node';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';
import { loadKey } from './credential-common.js';
import { APPEND_LOG_NOTE, openLogForAppend } from './append-log.js';
import { MAX_LOG_READ_BYTES, parseTrust } from './audit-common.js';
import { logTrust } from '../trust-file.js';
import { readBoundedFile } from '../read-input.js';

const usage = `Usage: agentguard erase (--subject <id> | --subject-env <VAR> | --reference <hex>) --keys <dir>
         --log <file> --key <signer.jwk> [--log-key <log.jwk>] [--passphrase-env <VAR>]
         [--trust <did:key>]... [--trust-file <path>]

Erases a data subject by crypto-shredding: destroys the subject's keys in the
key store (--keys, a directory made by createFileKeyStore), so that no value
sealed for it in the log can be opened again, then appends a signed
subject.erased record to the log (signed by --key; --log-key also signs a
checkpoint when the log is closed). The log is verified first and not
rewritten: every hash, signature and checkpoint still verifies afterwards,
once the verifier also trusts the --key signer (--trust <did>, or a trust
file key with the role "operator").

This is the offline path: no guard may be writing the log meanwhile (stop it
first). A running guard erases with eraseSubject() on its own log instead.
${APPEND_LOG_NOTE} The lock is taken before the log is
verified and before any key is destroyed.
--subject-env reads the subject id from an environment variable, keeping it
out of shell history; --reference names the subject by its pseudonym.
--trust and --trust-file anchor the check of the log as for "agentguard verify"
(every record signed by a trusted key; a trust file's "log" keys are the only
checkpoint keys); without them the log is checked for consistency only. With
--log-key, only its checkpoints and those of the other log keys (a rotated log
key: the trust file's "log" keys, else the --trust keys) count when the log is
opened.

Exit codes: 0 erased and recorded; 1 the log does not verify, or the record
could not be written (the keys are destroyed all the same: run again);
2 usage error or unusable input (the log held by another writer, too large).
`;

/** `agentguard erase` */
export const eraseCommand: Command = {
  words: ['erase'],
  summary: 'Erase a data subject: destroy its key and record it in the log',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      subject: { type: 'string' },
      'subject-env': { type: 'string' },
      reference: { type: 'string' },
      keys: { type: 'string' },
      log: { type: 'string' },
      key: { type: 'string' },
      'log-key': { type: 'string' },
      'passphrase-env': { type: 'string' },
      trust: { type: 'string', multiple: true },
      'trust-file': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const named = [values.subject, values['subject-env'], values.reference].filter((v) => v !== undefined);
    if (named.length !== 1) throw new UsageError('give exactly one of --subject, --subject-env, --reference');
    if (values.keys === undefined) throw new UsageError('missing --keys <dir>');
    if (values.log === undefined) throw new UsageError('missing --log <file>');
    let subject = values.subject;
    if (values['subject-env'] !== undefined) {
      subject = io.env[values['subject-env']];
      if (subject === undefined || subject === '') throw new InputError(`$${values['subject-env']} is not set`);
    }
    if (values.reference !== undefined && !/^[0-9a-f]{64}$/.test(values.reference)) {
      throw new UsageError('--reference expects 64 lower-case hex digits');
    }
    // --log-key here is the key file that signs the closing checkpoint, so the anchor comes from --trust and
    // --trust-file alone.
    const anchor = await logTrust(
      {
        ...(values.trust === undefined ? {} : { trust: values.trust }),
        ...(values['trust-file'] === undefined ? {} : { 'trust-file': values['trust-file'] }),
      },
      io,
      parseTrust,
    );
    if (anchor.trust === undefined) {
      io.stderr(
        'note: the log is checked for consistency only, not anchored: pass --trust or --trust-file so that a log re-signed by another key is refused\n',
      );
    }
    const signer = await loadKey(values.key, io, values['passphrase-env']);
    const logKey =
      values['log-key'] === undefined ? undefined : await loadKey(values['log-key'], io, values['passphrase-env']);
    const keysDir = resolve(io.cwd, values.keys);
    const path = resolve(io.cwd, values.log);
    try {
      if (!(await stat(keysDir)).isDirectory()) throw new Error('not a directory');
      if (!(await stat(path)).isFile()) throw new Error('not a file');
    } catch (cause) {
      throw new InputError(`cannot use ${printable(values.keys)} and ${printable(values.log)}: ${String(cause)}`);
    }

    // The lock first: while it is held no other writer appends, so the log verified is the log appended to,
    // and a log another writer holds is refused before any key is destroyed.
    // The log's other keys are earlier keys of this log (a rotated log key), and their checkpoints count: the trust
    // file's log keys when it names any, else every trusted key (the check of the log below is anchored by them).
    const previousLogKeys = (anchor.logKeys.length > 0 ? anchor.logKeys : (anchor.trust ?? [])).filter(
      (id) => id !== logKey?.id,
    );
    const audit = await openLogForAppend(
      path,
      logKey === undefined ? {} : { checkpoint: { signer: logKey }, previousLogKeys },
    );
    let keyIds: readonly string[];
    let sealedValues: number;
    let reference: string;
    try {
      // Fail closed: a log that does not verify gets nothing appended (the record would vouch for a broken chain).
      const report = await verifyLogFile(path, {
        ...(anchor.trust === undefined ? {} : { trust: anchor.trust }),
        ...(anchor.logKeys.length === 0 ? {} : { checkpointKeys: anchor.logKeys }),
      });
      if (!report.ok) {
        io.stdout(`FAIL ${printable(path)}: ${printable(report.code)}: ${printable(report.reason)}\n`);
        io.stdout('nothing erased: the log does not verify.\n');
        return EXIT_FAIL;
      }
      // A directory that is not a key store (no secret) would destroy nothing and still record an erasure.
      const isStore = await stat(join(keysDir, 'secret')).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!isStore) throw new InputError(`${printable(keysDir)} is not a subject key store (no secret in it)`);
      const keys = createFileKeyStore({ dir: keysDir, create: false });
      reference = values.reference ?? (await keys.reference(subject as string));
      sealedValues = countSealed(readLog(await readBoundedFile(path, MAX_LOG_READ_BYTES, 'log')).records, reference);
      const erased = await eraseSubject({ keys, reference, audit, signer, sealedValues });
      keyIds = erased.keyIds;
    } finally {
      await audit.close();
    }
    io.stdout(
      `erased subject ${reference}: ${keyIds.length} key(s) destroyed (${keyIds.join(', ') || 'none left'});\n`,
    );
    io.stdout(
      `${sealedValues} sealed value(s) in ${printable(path)} can no longer be opened; subject.erased recorded.\n`,
    );
    return EXIT_OK;
  },
};

/** How many sealed values of the subject the records hold. */
function countSealed(records: readonly object[], reference: string): number {
  let count = 0;
  const walk = (node: unknown, depth: number): void => {
    if (depth > 64 || typeof node !== 'object' || node === null) return;
    if (isSealedValue(node)) {
      if (node.subject === reference) count++;
      return;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) walk(child, depth + 1);
  };
  for (const record of records) walk((record as { data?: unknown }).data, 0);
  return count;
}
