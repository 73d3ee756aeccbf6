import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { exportBundle, exportOcsf, writeBundleDirectory } from '@agentguard/evidence';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, InputError, UsageError } from '../command.js';
import { MAX_LOG_READ_BYTES, onePositional, parseTime, parseTrust, printable, readLogFile } from './audit-common.js';
import { readBoundedFile } from '../read-input.js';
import { loadKey } from './credential-common.js';
import { readJsonFile } from './policy-common.js';
import { logTrust, TRUST_FILE_USAGE } from '../trust-file.js';

const usage = `Usage: agentguard incident export <log | log directory> --key <exporter.jwk> --out <dir>
         [--agent <did:key>] [--from <time>] [--to <time>] [--policy <file>]...
         [--trust <did:key>]... [--log-key <did:key>]... [--trust-file <path>]
         [--credential <file>]... [--revocations <file>]... [--ocsf <file>]
         [--allow-missing-policies] [--passphrase-env <VAR>]

Writes a self-contained evidence bundle into <dir> (new or empty): the records
of the log in the range (and of one agent), an inclusion proof per record in
c2sp.org/tlog-proof form against the first checkpoint that covers them, a
consistency proof to the log's newest checkpoint, the policies by hash, the keys,
credentials and revocation lists in force, and a manifest of every file signed
by the exporter key. Other agents' records never enter the bundle.
Check it offline with "agentguard incident verify <dir> --trust <exporter did>".

  --agent       only this agent's records
  --from, --to  ISO 8601 instants, inclusive (on each record's ts)
  --policy      a policy file in force (repeatable); kept by its policy hash
  --trust       a key trusted to sign records (repeatable); the log must verify
                under them. Default, when no --trust, --log-key or --trust-file
                is given: the signers of the exported records
  --log-key     the log's own key (repeatable), trusted as if given with --trust;
                default: its checkpoints' signers
${TRUST_FILE_USAGE}
  --credential  a credential file in force (repeatable), kept by SHA-256
  --revocations a revocation list file in force (repeatable), kept by SHA-256
  --ocsf        also write the same records as OCSF JSON Lines (API Activity) to <file>
  --allow-missing-policies
                write the bundle even when a record names a policy no --policy
                gave; such a bundle does not verify until the policy is added

Exit codes: 0 written; 1 the log does not verify, or no record matches or is
checkpointed yet; 2 usage error, unreadable input, or a policy missing (nothing
is written then).
`;

async function readBytes(path: string, io: { cwd: string }, what: string): Promise<Uint8Array> {
  const absolute = resolve(io.cwd, path);
  try {
    return await readBoundedFile(absolute, MAX_LOG_READ_BYTES, what);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as { code?: unknown }).code;
    throw new InputError(`cannot read ${what} ${absolute}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** `agentguard incident export <log> --key K --out DIR` */
export const incidentExportCommand: Command = {
  words: ['incident', 'export'],
  summary: 'Export an incident as an evidence bundle that verifies offline',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      key: { type: 'string' },
      out: { type: 'string' },
      agent: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      policy: { type: 'string', multiple: true },
      trust: { type: 'string', multiple: true },
      'log-key': { type: 'string', multiple: true },
      'trust-file': { type: 'string' },
      'allow-missing-policies': { type: 'boolean' },
      credential: { type: 'string', multiple: true },
      revocations: { type: 'string', multiple: true },
      ocsf: { type: 'string' },
      'passphrase-env': { type: 'string' },
    });
    if (values.out === undefined) throw new UsageError('missing --out <dir>');
    const agent = parseTrust(values.agent === undefined ? undefined : [values.agent])?.[0];
    const fromMs = parseTime(values.from, 'from');
    const toMs = parseTime(values.to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw new UsageError('--from is after --to');
    // The log's own keys are trusted with the others, as `verify` does: a checkpoint key need not be given twice.
    const { trust, logKeys } = await logTrust(values, io, parseTrust);
    const signer = await loadKey(values.key, io, values['passphrase-env']);
    const log = await readLogFile(onePositional(positionals), io);
    const policies: unknown[] = [];
    for (const path of values.policy ?? []) policies.push((await readJsonFile(path, io, 'policy')).json);
    const credentials = await Promise.all((values.credential ?? []).map((p) => readBytes(p, io, 'credential')));
    const revocations = await Promise.all((values.revocations ?? []).map((p) => readBytes(p, io, 'revocation list')));
    const bundle = await exportBundle({
      log: log.bytes,
      signer,
      policies,
      credentials,
      revocations,
      ...(agent === undefined ? {} : { agent }),
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(toMs === undefined ? {} : { toMs }),
      ...(trust === undefined ? {} : { trust }),
      ...(logKeys.length === 0 ? {} : { checkpointKeys: logKeys }),
    });
    // A bundle that names a policy it does not hold never verifies: refused before anything is written, so a
    // script cannot ship it by mistake, unless the operator asks for it.
    if (bundle.missingPolicies.length > 0 && values['allow-missing-policies'] !== true) {
      throw new UsageError(
        `no policy given for ${bundle.missingPolicies.map(printable).join(', ')}: the bundle would not verify; pass the policy file with --policy (or --allow-missing-policies to write it anyway)`,
      );
    }
    const out = resolve(io.cwd, values.out);
    await writeBundleDirectory(out, bundle);
    io.stdout(
      `wrote ${printable(out)}: ${bundle.records} record(s), ${bundle.files.size} file(s), signed by ${signer.id}\n`,
    );
    if (bundle.missingPolicies.length > 0) {
      io.stdout(
        `warning: no policy given for ${bundle.missingPolicies.map(printable).join(', ')}; the bundle will not verify without it (pass --policy)\n`,
      );
    }
    if (values.ocsf !== undefined) {
      const ocsf = exportOcsf(log.bytes, {
        ...(agent === undefined ? {} : { agent }),
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
      });
      const path = resolve(io.cwd, values.ocsf);
      await writeFile(path, ocsf, { flag: 'wx' });
      io.stdout(`wrote ${printable(path)}: OCSF API Activity events, one per record\n`);
    }
    return EXIT_OK;
  },
};
