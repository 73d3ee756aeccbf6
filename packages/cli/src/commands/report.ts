import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  createComplianceReport,
  formatReportJson,
  formatReportMarkdown,
  type LogSegment,
  REPORT_REGIMES,
  type ReportRegime,
} from '@agentguard/evidence';
import { parseArgs } from '../args.js';
import { type Command, type CommandIO, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { logTrust, TRUST_FILE_USAGE } from '../trust-file.js';
import { parseCount, parseTime, parseTrust, readNoteFile } from './audit-common.js';

const usage = `Usage: agentguard report --regime <regime> <log directory | log file...>
         [--trust <did:key>]... [--log-key <did:key>]... [--trust-file <path>]
         [--checkpoint <file>] [--as-of <time>] [--format md|json]
         [--rotate-max-age-ms <n>] [--rotate-max-bytes <n>]

Computes the controls of a compliance regime from a signed audit log and says
what the log shows for each (found, partly, not found), with the sequence
numbers of the records behind every finding and what a log cannot show. It
never says "compliant". The log is verified in full first; nothing after a
bad record is read. The same log and options always give the same bytes.

Regimes: ${REPORT_REGIMES.join(', ')}

Input: a rotated log directory, or one or more files given in order as the
files of one log (its rotated segments).

Options:
  --regime <regime>        the regime whose controls are computed (required)
  --trust <did:key>        a key whose signatures anchor the log (repeatable)
  --log-key <did:key>      a key of the log itself, whose checkpoints count
${TRUST_FILE_USAGE}
  --checkpoint <file>      a signed checkpoint kept elsewhere the log must extend
  --as-of <time>           the instant retention is counted back from
                           (ISO 8601; default: the newest record's time)
  --format md|json         Markdown (default) or JSON
  --rotate-max-age-ms <n>  the rotation settings of the log directory, reported
  --rotate-max-bytes <n>   beside the retention controls

Exit codes: 0 the report is written and the log verifies; 1 the report is
written but the log does not verify in full; 2 usage error or unusable input.
`;

/** The files of a rotated log directory, as `openAuditDirectory` names them. */
const SEGMENT = /^audit-(\d{6,})\.jsonl$/;

function cannotRead(path: string, cause: unknown): InputError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new InputError(`cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** The files of the log: a directory's numbered files, or the files given, in order. */
async function readSegments(paths: readonly string[], io: CommandIO): Promise<LogSegment[]> {
  const absolute = paths.map((p) => resolve(io.cwd, p));
  const kinds = await Promise.all(
    absolute.map(async (p) => {
      const s = await stat(p).catch((cause: unknown) => Promise.reject(cannotRead(p, cause)));
      // A device or FIFO is no log: /dev/zero would be read forever, a FIFO would block.
      if (!s.isDirectory() && !s.isFile()) throw new InputError(`${p} is not a regular file or a log directory`);
      return s.isDirectory();
    }),
  );
  if (kinds.includes(true)) {
    if (absolute.length !== 1) throw new UsageError('expected one log directory, or log files only');
    const dir = absolute[0] as string;
    // The numbered files present, in order, even when some are missing: a missing first file is what a retention
    // report must show (the log then fails verification at its first record), not a reason to report nothing.
    const names = (await readdir(dir).catch((c: unknown) => Promise.reject(cannotRead(dir, c))))
      .filter((n) => SEGMENT.test(n))
      .sort((a, b) => Number(SEGMENT.exec(a)?.[1]) - Number(SEGMENT.exec(b)?.[1]));
    if (names.length === 0) throw new InputError(`${dir} holds no log files (audit-NNNNNN.jsonl)`);
    return Promise.all(
      names.map(async (name) => {
        const path = join(dir, name);
        return { name, bytes: await readFile(path).catch((c: unknown) => Promise.reject(cannotRead(path, c))) };
      }),
    );
  }
  return Promise.all(
    absolute.map(async (p) => ({
      name: basename(p),
      bytes: await readFile(p).catch((c: unknown) => Promise.reject(cannotRead(p, c))),
    })),
  );
}

/** `agentguard report --regime <regime> <log…>` */
export const reportCommand: Command = {
  words: ['report'],
  summary: 'Compliance evidence from a signed log: PCI DSS, HIPAA, GDPR, EU AI Act, SOC 2',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      regime: { type: 'string' },
      trust: { type: 'string', multiple: true },
      'log-key': { type: 'string', multiple: true },
      'trust-file': { type: 'string' },
      checkpoint: { type: 'string' },
      'as-of': { type: 'string' },
      format: { type: 'string' },
      'rotate-max-age-ms': { type: 'string' },
      'rotate-max-bytes': { type: 'string' },
    });
    const regime = values.regime;
    if (regime === undefined) throw new UsageError('missing --regime');
    if (!(REPORT_REGIMES as readonly string[]).includes(regime)) {
      throw new UsageError(`--regime expects one of ${REPORT_REGIMES.join(', ')}, got "${regime}"`);
    }
    const format = values.format ?? 'md';
    if (format !== 'md' && format !== 'json') throw new UsageError(`--format expects md or json, got "${format}"`);
    const asOf = parseTime(values['as-of'], 'as-of');
    if (asOf !== undefined && (asOf < 0 || asOf > 253_402_300_799_999)) {
      throw new UsageError('--as-of expects a time from 1970 to 9999');
    }
    const maxAgeMs = parseCount(values['rotate-max-age-ms'], 'rotate-max-age-ms');
    const maxBytes = parseCount(values['rotate-max-bytes'], 'rotate-max-bytes');
    if (positionals.length === 0) throw new UsageError('missing <log>');
    const { trust, logKeys } = await logTrust(values, io, parseTrust);
    const witness = values.checkpoint === undefined ? undefined : await readNoteFile(values.checkpoint, io);
    if (witness !== undefined && witness.text === undefined) {
      throw new InputError(`${witness.path} is not a signed checkpoint (not UTF-8)`);
    }
    const segments = await readSegments(positionals, io);
    if (segments.every((s) => s.bytes.length === 0)) {
      throw new InputError('the log is empty: there is nothing to report on');
    }
    const report = createComplianceReport(segments, {
      regime: regime as ReportRegime,
      ...(trust === undefined ? {} : { trust }),
      ...(logKeys.length === 0 ? {} : { checkpointKeys: logKeys }),
      ...(witness?.text === undefined ? {} : { checkpoint: witness.text }),
      ...(asOf === undefined ? {} : { nowMs: asOf }),
      ...(maxAgeMs === undefined && maxBytes === undefined
        ? {}
        : {
            rotation: {
              ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
              ...(maxBytes === undefined ? {} : { maxBytes }),
            },
          }),
    });
    io.stdout(format === 'json' ? formatReportJson(report) : formatReportMarkdown(report));
    // The log verified in full when the report carries its root.
    return report.log.root === undefined ? EXIT_FAIL : EXIT_OK;
  },
};
