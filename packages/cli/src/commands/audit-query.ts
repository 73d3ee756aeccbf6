import { resolve } from 'node:path';
import type { AuditRecord } from '@agentguard/audit';
import { AuditError, formatRecord, unsealRecord } from '@agentguard/audit';
import { createFileKeyStore } from '@agentguard/audit/node';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { csvField, writeRecordLine } from '../output.js';
import { decisionOf, loadLog, onePositional, parseTime, shownData } from './audit-common.js';

const usage = `Usage: agentguard audit query <log> [filters] [--format table|json|csv]

Checks the log, then prints the records that match every filter given.

Filters:
  --agent <did:key>    records of this agent
  --tool <name>        records of this tool
  --type <type>        records of this type (e.g. call.denied, checkpoint)
  --decision <effect>  allow, deny, require_approval or invalid
  --since <time>       at or after this ISO 8601 time
  --until <time>       before this ISO 8601 time

Output:
  --format table       one readable line per record (default)
  --format json        one JSON record per line (JSON Lines)
  --format csv         a CSV export with a header row
  --unseal --keys <dir> with --format json: sealed personal data opened with
                       the subject keys in <dir> (an authorised reader; the
                       printed data is no longer what the record's hash covers).
                       Values of erased subjects stay sealed; a value that was
                       changed or moved is reported and makes the exit code 1.
`;

const CSV_COLUMNS = ['seq', 'ts', 'type', 'agent', 'tool', 'callId', 'decision', 'code', 'reason', 'signer', 'hash'];

function csvRow(record: AuditRecord): string {
  const data = shownData(record);
  const row: Record<string, unknown> = {
    seq: record.seq,
    ts: record.ts,
    type: record.type,
    agent: record.type === 'checkpoint' ? '' : record.agent,
    tool: record.type === 'checkpoint' ? '' : record.tool,
    callId: record.type === 'checkpoint' ? '' : record.callId,
    decision: decisionOf(record),
    code: data.code ?? data.error?.code,
    reason: data.reason,
    signer: record.signer,
    hash: record.hash,
  };
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',');
}

/** `agentguard audit query <log> --agent --tool --decision --since --until [--format]` */
export const auditQueryCommand: Command = {
  words: ['audit', 'query'],
  summary: 'Find records by agent, tool, type, decision and time; table, JSON or CSV',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      agent: { type: 'string' },
      tool: { type: 'string' },
      type: { type: 'string' },
      decision: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string' },
      unseal: { type: 'boolean' },
      keys: { type: 'string' },
    });
    const format = values.format ?? 'table';
    if (!['table', 'json', 'csv'].includes(format))
      throw new UsageError(`--format expects table, json or csv, got "${format}"`);
    if ((values.unseal === true) !== (values.keys !== undefined) || (values.unseal === true && format !== 'json')) {
      throw new UsageError('--unseal takes --keys <dir> and --format json');
    }
    const keys =
      values.keys === undefined ? undefined : createFileKeyStore({ dir: resolve(io.cwd, values.keys), create: false });
    const since = parseTime(values.since, 'since');
    const until = parseTime(values.until, 'until');
    const log = await loadLog(onePositional(positionals), io);
    const matches = log.records.filter((r) => {
      const isEvent = r.type !== 'checkpoint';
      if (values.agent !== undefined && !(isEvent && r.agent === values.agent)) return false;
      if (values.tool !== undefined && !(isEvent && r.tool === values.tool)) return false;
      if (values.type !== undefined && r.type !== values.type) return false;
      if (values.decision !== undefined && decisionOf(r) !== values.decision) return false;
      const ts = Date.parse(r.ts);
      if (since !== undefined && ts < since) return false;
      if (until !== undefined && ts >= until) return false;
      return true;
    });
    let code = EXIT_OK;
    if (format === 'json') {
      for (const r of matches) {
        if (keys === undefined || r.type === 'checkpoint' || r.data === undefined) {
          io.stdout(`${JSON.stringify(r)}\n`);
          continue;
        }
        try {
          const { data } = await unsealRecord(r, { keys });
          io.stdout(`${JSON.stringify({ ...r, data })}\n`);
        } catch (error) {
          if (!(error instanceof AuditError)) throw error;
          // Erased or tampered: the record is printed as written, with why it stays sealed.
          io.stdout(`${JSON.stringify(r)}\n`);
          io.stderr(`record ${r.seq}: ${error.code}: ${error.message}\n`);
          if (error.code !== 'ERR_AUDIT_SUBJECT_ERASED') code = EXIT_FAIL;
        }
      }
    } else if (format === 'csv') {
      io.stdout(`${CSV_COLUMNS.join(',')}\n`);
      for (const r of matches) io.stdout(`${csvRow(r)}\n`);
    } else {
      for (const r of matches) writeRecordLine(io, formatRecord(r, { color: io.isTTY }));
      io.stderr(`${matches.length} of ${log.records.length} record(s) match\n`);
    }
    return code;
  },
};
