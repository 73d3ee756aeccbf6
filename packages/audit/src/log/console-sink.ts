import { AuditRecordSchema, type AuditRecord } from '../record/schema.js';
import type { AuditSink } from './sink.js';

/** Options of {@link createConsoleSink} and {@link formatRecord}. */
export interface ConsoleSinkOptions {
  /**
   * Where text goes (one call per record, no newline at the end).
   * @default globalThis.console.log
   */
  readonly write?: (text: string) => void;
  /**
   * ANSI colours (red denials, green completions, yellow failures, cyan checkpoints). Turn on for a TTY.
   * @default false
   */
  readonly color?: boolean;
}

const COLORS: Record<string, string> = {
  'call.denied': '31',
  'call.invalid': '31',
  'call.failed': '33',
  'call.completed': '32',
  'call.requested': '2',
  checkpoint: '36',
  gap: '35',
  'log.recovered': '35',
  'control.status': '35',
  'control.rejected': '31',
  'monitor.alert': '35',
  'egress.refused': '31',
  'monitor.suspended': '31',
  'monitor.resumed': '33',
};

// Text from a log is untrusted: no escape sequence or newline from a record reaches the terminal.
const clean = (text: string) => text.replace(/\p{Cc}/gu, '?');

/** A short form of a did:key for humans: the last 8 characters. */
function short(did: string): string {
  return did.length > 16 ? `…${did.slice(-8)}` : did;
}

function detail(record: AuditRecord): string {
  if (record.type === 'checkpoint') return `checkpoint of ${record.note.split('\n')[1] ?? '?'} records`;
  const data = record.data ?? {};
  const decision = data.decision as { effect?: unknown; ruleId?: unknown } | undefined;
  const error = data.error as { code?: unknown; message?: unknown } | undefined;
  const parts: string[] = [];
  if (typeof decision?.effect === 'string')
    parts.push(`${decision.effect}${typeof decision.ruleId === 'string' ? ` by ${decision.ruleId}` : ''}`);
  if (typeof data.code === 'string') parts.push(data.code);
  if (typeof data.reason === 'string') parts.push(data.reason);
  if (typeof error?.code === 'string') parts.push(error.code);
  return parts.join(' ');
}

/**
 * One human-readable line for a record: time, seq, type, tool, agent, call id and what was decided.
 * Control characters in the record are replaced, so a log cannot inject terminal escapes.
 *
 * @param record - a parsed record.
 * @param options - `color` for ANSI colours.
 * @returns the line, without a newline.
 */
export function formatRecord(record: AuditRecord, options: { readonly color?: boolean } = {}): string {
  const who =
    record.type === 'checkpoint'
      ? `log ${short(record.signer)}`
      : `${record.tool} ${short(record.agent)} ${record.callId}`;
  const line = clean(`${record.ts} #${record.seq} ${record.type.padEnd(15)} ${who} ${detail(record)}`.trimEnd());
  const color = COLORS[record.type];
  return options.color === true && color !== undefined ? `\u001b[${color}m${line}\u001b[0m` : line;
}

/**
 * A sink that prints each record as one readable line (see {@link formatRecord}).
 * Not durable: use it beside a file sink, not instead of one.
 *
 * @param options - see {@link ConsoleSinkOptions}.
 * @returns an {@link AuditSink}.
 * @example
 * ```ts
 * const log = createAuditLog({ sink: [fileSink, createConsoleSink({ color: process.stdout.isTTY })] });
 * ```
 */
export function createConsoleSink(options: ConsoleSinkOptions = {}): AuditSink {
  const write = options.write ?? ((text: string) => globalThis.console.log(text));
  if (typeof write !== 'function') throw new TypeError('"write" expected a function');
  const color = options.color === true;
  return Object.freeze({
    async write(lines: readonly string[]) {
      for (const line of lines) {
        const parsed = AuditRecordSchema.safeParse(JSON.parse(line));
        write(parsed.success ? formatRecord(parsed.data, { color }) : clean(line));
      }
    },
    async close() {},
  });
}
