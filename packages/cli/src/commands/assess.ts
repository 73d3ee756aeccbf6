import { writeFile } from 'node:fs/promises';
import { extname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AssessmentReport,
  assess,
  type Deployment,
  exitCodeOf,
  formatPlan,
  formatReport,
  isSeverity,
  type LogRecord,
  MAX_DEPLOYMENT_BYTES,
  parseDeployment,
  parseDeploymentText,
  parsePreviousReport,
  planRollout,
  REPORT_FORMATS,
  type ReportFormat,
  reportDigest,
  SEVERITIES,
  type Severity,
} from '@agentguard/assess';
import { RECORD_MAX_BYTES, RECORD_MAX_DEPTH, verifyLog } from '@agentguard/audit';
import type { FileAuditLog } from '@agentguard/audit/file';
import { fromUtf8, parseJson } from '@agentguard/statement';
import { parseArgs } from '../args.js';
import { openLogForAppend } from './append-log.js';
import { readBoundedFile } from '../read-input.js';
import { type Command, type CommandIO, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { onePositional, parseCount, parseTime, parseTrust, readLogFile } from './audit-common.js';
import { logTrust } from '../trust-file.js';
import { loadKey } from './credential-common.js';
import type { AgentIdentity as Signer } from '@agentguard/identity';
import { printable } from '../output.js';

const usage = `Usage: agentguard assess <deployment.json | deployment.mjs> [--log <audit.jsonl>] [--previous <report.json>]
         [--format table|markdown|json|sarif] [--fail-on info|low|medium|high|critical] [--out <file>]
         [--plan [--agent <name>]] [--now <time>] [--max-mode-days <n>]
         [--record <audit.jsonl> --key <signer.jwk> [--passphrase-env <VAR>]]

Assesses a deployment: each tool's risk tier, each agent's, and findings with
severity, evidence and the fix (docs/assess.md lists every finding id). The
deployment is a JSON description, or a config module (.mjs/.js) exporting one
as \`default\` or \`deployment\`, or a function returning one. A module is
IMPORTED: its code runs with your rights, so assess only modules you trust.
With --log, the log is verified first and its calls are checked too (allow
rules broader than the calls, trends against --previous, a JSON report of an
earlier run). The same input (and --now) always gives the same report.

Options:
  --log <file>          the deployment's recent audit log (file or directory)
  --previous <file>     the previous JSON report, for denied-call and alert trends
  --format <f>          table (default), markdown, json or sarif
  --fail-on <severity>  lowest severity that fails the run   (default: low)
  --out <file>          write the report there (never overwrites a file)
  --plan                print the gradual rollout plan per agent instead (needs --log)
  --agent <name>        only this agent's plan
  --now <time>          assess as of this ISO 8601 time      (default: now)
  --max-mode-days <n>   days monitor or off mode may stay on (default: 14)
  --record <file>       append a signed \`assessment\` record (digest of the JSON
                        report, counts by severity) to this log. It is locked
                        first: a log a running guard holds is refused (exit 2)
                        before anything is assessed; a log whose last line has no
                        newline is refused at that line (exit 1), nothing cut.
  --key <file>          the key that signs the record (with --record)
  --trust <did:key>     a key trusted to sign the --log records (repeatable)
  --log-key <did:key>   the log's own key: only its checkpoints count (repeatable)
  --trust-file <path>   a trust file with the agent and log keys

Exit codes: 0 no finding at or above --fail-on; 3 worst is low, 4 medium,
5 high, 6 critical; 1 the log (or the --record log) does not verify; 2 usage
error or unusable input (too large, too deep, locked by another writer).
`;

const MODULE = new Set(['.mjs', '.js', '.cjs']);

/**
 * Largest --log assessed: every record is held in memory, parsed, several times the log's bytes (the default
 * rotation size is 64 MiB a file, so this is the last few files of a busy log).
 */
export const MAX_ASSESS_LOG_BYTES = 256 * 1024 * 1024;

/** Largest --previous report read (a JSON report of an earlier run). */
export const MAX_PREVIOUS_REPORT_BYTES = 16 * 1024 * 1024;

/** Reads the deployment: JSON text, or a module that is imported (its code runs). */
async function loadDeployment(file: string, cwd: string): Promise<Deployment> {
  const path = resolve(cwd, file);
  try {
    if (MODULE.has(extname(path))) {
      const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
      let value: unknown = Object.hasOwn(mod, 'deployment') ? mod.deployment : mod.default;
      if (typeof value === 'function') value = await (value as () => unknown)();
      return parseDeployment(value);
    }
    const bytes = await readBoundedFile(path, MAX_DEPLOYMENT_BYTES, 'deployment');
    return parseDeploymentText(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_ASSESS_DEPLOYMENT_INVALID') throw new InputError(`${path}: ${(error as Error).message}`);
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new InputError(`cannot read ${path} (${code})`);
    throw new InputError(`${path}: cannot load the deployment module: ${(error as Error).message}`);
  }
}

/** Reads a log, verified first (a tampered log would mislead the assessment), as records. */
async function loadRecords(
  file: string,
  io: CommandIO,
  anchor: { trust: string[] | undefined; logKeys: string[] },
): Promise<LogRecord[]> {
  const { bytes, where } = await readLogFile(file, io, MAX_ASSESS_LOG_BYTES);
  const report = verifyLog(bytes, {
    ...(anchor.trust === undefined ? {} : { trust: anchor.trust }),
    ...(anchor.logKeys.length === 0 ? {} : { checkpointKeys: anchor.logKeys }),
  });
  if (!report.ok) throw new LogError(`${where(report.line)}: ${report.code}: ${report.reason}`);
  const out: LogRecord[] = [];
  for (const line of fromUtf8(bytes).split('\n')) {
    if (line.trim() === '') continue;
    out.push(parseJson(line, { maxBytes: RECORD_MAX_BYTES, maxDepth: RECORD_MAX_DEPTH }) as unknown as LogRecord);
  }
  return out;
}

class LogError extends Error {}

async function writeOut(path: string, text: string): Promise<void> {
  await writeFile(path, text, { flag: 'wx' }).catch((cause: { code?: string }) => {
    throw new InputError(`cannot write ${path}${cause.code === undefined ? '' : ` (${cause.code})`}`);
  });
}

const OPTIONS = {
  log: { type: 'string' },
  previous: { type: 'string' },
  format: { type: 'string' },
  'fail-on': { type: 'string' },
  out: { type: 'string' },
  plan: { type: 'boolean' },
  agent: { type: 'string' },
  now: { type: 'string' },
  'max-mode-days': { type: 'string' },
  record: { type: 'string' },
  key: { type: 'string' },
  trust: { type: 'string', multiple: true },
  'log-key': { type: 'string', multiple: true },
  'trust-file': { type: 'string' },
  'passphrase-env': { type: 'string' },
} as const;

type AssessValues = ReturnType<typeof parseArgs<typeof OPTIONS>>['values'];

/** `agentguard assess <deployment>` */
export const assessCommand: Command = {
  words: ['assess'],
  summary: 'Assess a deployment: risk tiers, findings with their fixes, a rollout plan',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, OPTIONS);
    const file = onePositional(positionals, '<deployment>');
    const format = (values.format ?? 'table') as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format expects one of ${REPORT_FORMATS.join(', ')}`);
    const failOn = (values['fail-on'] ?? 'low') as Severity;
    if (!isSeverity(failOn)) throw new UsageError(`--fail-on expects one of ${SEVERITIES.join(', ')}`);
    if (values.plan === true && values.log === undefined) throw new UsageError('--plan needs --log');
    if (values.agent !== undefined && values.plan !== true) throw new UsageError('--agent goes with --plan');
    if (values.record !== undefined && values.key === undefined) throw new UsageError('--record needs --key');
    if (values.plan === true && (format === 'sarif' || values.record !== undefined)) {
      throw new UsageError('--plan prints a plan: no --format sarif, no --record');
    }
    const nowMs = parseTime(values.now, 'now') ?? Date.now();
    const maxModeDays = parseCount(values['max-mode-days'], 'max-mode-days');
    // The --record log is locked before anything is read or assessed: a log another writer holds is refused
    // before any work, and nobody else appends between our reading its tail and our append.
    const record =
      values.record === undefined
        ? undefined
        : {
            signer: await loadKey(values.key, io, values['passphrase-env']),
            path: resolve(io.cwd, values.record),
          };
    const audit = record === undefined ? undefined : await openLogForAppend(record.path);
    try {
      return await assessWith(values, io, {
        file,
        format,
        failOn,
        nowMs,
        maxModeDays,
        ...(audit === undefined || record === undefined ? {} : { record: { ...record, audit } }),
      });
    } finally {
      await audit?.close();
    }
  },
};

/** What `run` settled before the work: the parsed options, and the --record log, already locked. */
interface AssessRun {
  readonly file: string;
  readonly format: ReportFormat;
  readonly failOn: Severity;
  readonly nowMs: number;
  readonly maxModeDays: number | undefined;
  readonly record?: { readonly path: string; readonly signer: Signer; readonly audit: FileAuditLog };
}

/** Loads the inputs, assesses (or plans), prints, and appends the record to the locked log. */
async function assessWith(
  values: AssessValues,
  io: CommandIO,
  { file, format, failOn, nowMs, maxModeDays, record }: AssessRun,
): Promise<number> {
  const deployment = await loadDeployment(file, io.cwd);
  let log: LogRecord[] | undefined;
  try {
    if (values.log !== undefined) {
      const anchor = await logTrust(values, io, parseTrust);
      if (anchor.trust === undefined) {
        io.stderr(
          'note: --log is checked for consistency only, not anchored: pass --trust, --log-key or --trust-file so that a log re-signed by another key is refused\n',
        );
      }
      log = await loadRecords(values.log, io, anchor);
    }
  } catch (error) {
    if (!(error instanceof LogError)) throw error;
    io.stdout(`FAIL ${printable(error.message)} (the log must verify before it is used)\n`);
    return EXIT_FAIL;
  }
  let text: string;
  let status = EXIT_OK;
  let report: AssessmentReport | undefined;
  if (values.plan === true) {
    const plan = planRollout(deployment, log ?? [], values.agent === undefined ? {} : { agent: values.agent });
    text = formatPlan(plan, format === 'json' ? 'json' : format === 'markdown' ? 'markdown' : 'table');
  } else {
    let previous: AssessmentReport | undefined;
    if (values.previous !== undefined) {
      const path = resolve(io.cwd, values.previous);
      try {
        const bytes = await readBoundedFile(path, MAX_PREVIOUS_REPORT_BYTES, 'previous report');
        const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
        previous = parsePreviousReport(parseJson(text, { maxBytes: MAX_PREVIOUS_REPORT_BYTES }));
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw new InputError(`${path}: ${(error as Error).message}`);
      }
    }
    report = assess(deployment, {
      nowMs,
      ...(log === undefined ? {} : { log }),
      ...(previous === undefined ? {} : { previous }),
      ...(maxModeDays === undefined ? {} : { maxModeDays }),
    });
    text = formatReport(report, format, {
      artifactUri: relative(io.cwd, resolve(io.cwd, file)).replaceAll('\\', '/'),
    });
    status = exitCodeOf(report, failOn);
  }
  if (values.out === undefined) io.stdout(text);
  else {
    const out = resolve(io.cwd, values.out);
    await writeOut(out, text);
    io.stderr(`wrote ${out}\n`);
  }
  if (report !== undefined && record !== undefined) {
    const digest = reportDigest(report);
    await record.audit.append(
      {
        type: 'assessment',
        callId: `assess:${digest.slice(7, 39)}`,
        agent: record.signer.id,
        tool: '*',
        data: {
          reportDigest: digest,
          deployment: report.deployment,
          worst: report.summary.worst,
          counts: { ...report.summary.counts },
          findingIds: [...new Set(report.findings.map((f) => f.id))].sort(),
        },
      },
      record.signer,
    );
    io.stderr(`recorded the assessment (${digest}) in ${record.path}\n`);
  }
  return status;
}
