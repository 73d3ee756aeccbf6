import { resolve } from 'node:path';
import { readBundleDirectory, verifyBundleParallel } from '@agentguard/evidence';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { mergeTrustFile, TRUST_FILE_USAGE } from '../trust-file.js';
import { onePositional, parseTrust, printable } from './audit-common.js';

const usage = `Usage: agentguard incident verify <bundle dir> --trust <did:key>... [--trust-file <path>]

Checks an evidence bundle offline: the manifest's signature by a trusted
exporter, that the bundle holds exactly the files the manifest lists with their
SHA-256, both checkpoints (signed by a log key of the bundle) and the consistency
proof between them, every record (canonical form, hash, signature, envelope, a
key the bundle trusts, inside the range and filters) with its inclusion proof,
and that every policy a record names is in the bundle. Prints every finding with
its file and, for a record, its seq and line.

  --trust <did:key>    a key trusted to sign bundle manifests (the exporter's)
${TRUST_FILE_USAGE}
Exit codes: 0 the bundle verifies; 1 a finding; 2 usage error or unreadable bundle.
`;

/** `agentguard incident verify <dir> --trust D` */
export const incidentVerifyCommand: Command = {
  words: ['incident', 'verify'],
  summary: 'Verify an evidence bundle offline',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      trust: { type: 'string', multiple: true },
      'trust-file': { type: 'string' },
    });
    const dir = resolve(io.cwd, onePositional(positionals, '<bundle dir>'));
    const trust = await mergeTrustFile(parseTrust(values.trust), values['trust-file'], io);
    if (trust === undefined || trust.length === 0) {
      throw new UsageError('missing --trust <did:key>: a bundle is evidence only when its exporter is trusted');
    }
    const report = await verifyBundleParallel(await readBundleDirectory(dir), { trust });
    if (!report.ok) {
      for (const f of report.findings) {
        const at = f.seq === undefined ? '' : ` seq ${f.seq}`;
        const line = f.line === undefined ? '' : `:${f.line}`;
        const audit = f.auditCode === undefined ? '' : ` (${f.auditCode})`;
        io.stdout(`FAIL ${printable(f.file)}${line}${at}: ${f.code}${audit}: ${printable(f.reason)}\n`);
      }
      io.stdout(`${report.findings.length} finding(s); ${report.records} record(s) passed every check.\n`);
      return EXIT_FAIL;
    }
    const m = report.manifest;
    io.stdout(`OK ${printable(dir)}: ${report.records} record(s), signed by ${report.exporter}\n`);
    if (m !== undefined) {
      io.stdout(
        `log ${printable(m.origin)}, agent ${m.filters.agent ?? 'any'}, from ${m.filters.from ?? 'start'} to ${m.filters.to ?? 'end'}; checkpoint ${m.checkpoint.size} consistent with ${m.latest.size}\n`,
      );
    }
    return EXIT_OK;
  },
};
