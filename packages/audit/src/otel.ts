import type { AnyValueMap, Logger, LogRecord } from '@opentelemetry/api-logs';
import { AuditError } from './errors.js';
import type { AuditSink } from './log/sink.js';

/** Options of {@link createOtelSink}. */
export interface OtelSinkOptions {
  /** The OpenTelemetry logger records go through, e.g. `logs.getLogger('agentguard-audit')`; only `emit` is used. */
  readonly logger: Pick<Logger, 'emit'>;
  /**
   * Called by `close()`, e.g. `() => loggerProvider.forceFlush()`, so that records leave the process before it exits.
   * @default none
   */
  readonly flush?: () => unknown;
  /**
   * Best-effort mode: when `emit` throws, call this and let the write succeed. Without it the write rejects with
   * `ERR_AUDIT_SINK_FAILED`, so the append fails (fail closed) and, beside a file sink, the log stops taking records.
   * @default none (fail closed)
   */
  readonly onError?: (error: unknown) => void;
}

// OpenTelemetry log data model severity numbers (opentelemetry.io/docs/specs/otel/logs/data-model/#field-severitynumber).
const INFO = 9;
const WARN = 13;
const WARN_TYPES = new Set([
  'call.denied',
  'call.invalid',
  'call.failed',
  'approval.refused',
  'monitor.alert',
  'egress.refused',
  'monitor.suspended',
  'gap',
  'log.recovered',
  'control.status',
  'control.rejected',
]);

const str = (value: unknown): value is string => typeof value === 'string';

/**
 * One record line as an OpenTelemetry LogRecord, named the way observability tools already understand: the
 * OpenTelemetry GenAI semantic conventions for tool execution, then AgentGuard's own attributes. The body is the
 * record as a structured map (so backends can query `data.decision.effect` without parsing a string); the exact
 * line rides along as `agentguard.audit.line`, the bytes that still hash to the record's `hash`.
 *
 * | attribute | from the record |
 * | --- | --- |
 * | `gen_ai.operation.name` | `execute_tool`, on records about a tool call (those with a `tool`) |
 * | `gen_ai.tool.name`, `gen_ai.tool.call.id`, `gen_ai.agent.id` | `tool`, `callId`, `agent` |
 * | `error.type` | `data.code` (the denial or failure code) |
 * | `agentguard.audit.type` / `.seq` / `.hash` / `.signer` / `.line` | `type`, `seq`, `hash`, `signer`, the line |
 * | `agentguard.decision.effect`, `agentguard.decision.rule_id` | `data.decision.effect`, `data.decision.ruleId` |
 * | `agentguard.denial.code` | `data.code` |
 *
 * `eventName` is `agentguard.audit.<type>`; severity is WARN for denials, invalid and failed calls, refused
 * approvals, alerts, refused egress, gaps and recoveries, INFO otherwise; `timestamp` is the record's `ts`.
 *
 * @param line - one record line, as a sink receives it.
 * @returns the LogRecord; a line that is not a JSON object still becomes one (type `unknown`, an empty map as
 * body), never an exception.
 */
export function toLogRecord(line: string): LogRecord {
  let record: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) record = parsed as typeof record;
  } catch {
    // Not JSON: exported as is, named `unknown`.
  }
  const type = str(record.type) ? record.type : 'unknown';
  const attributes: AnyValueMap = {};
  if (str(record.tool)) {
    // OpenTelemetry semantic conventions, GenAI tool execution (gen-ai-agent-spans.md, "Execute tool span").
    attributes['gen_ai.operation.name'] = 'execute_tool';
    attributes['gen_ai.tool.name'] = record.tool;
  }
  if (str(record.callId)) attributes['gen_ai.tool.call.id'] = record.callId;
  if (str(record.agent)) attributes['gen_ai.agent.id'] = record.agent;
  attributes['agentguard.audit.type'] = type;
  if (typeof record.seq === 'number') attributes['agentguard.audit.seq'] = record.seq;
  if (str(record.hash)) attributes['agentguard.audit.hash'] = record.hash;
  if (str(record.signer)) attributes['agentguard.audit.signer'] = record.signer;
  attributes['agentguard.audit.line'] = line;
  const data = typeof record.data === 'object' && record.data !== null ? (record.data as Record<string, unknown>) : {};
  const decision =
    typeof data.decision === 'object' && data.decision !== null ? (data.decision as Record<string, unknown>) : {};
  if (str(decision.effect)) attributes['agentguard.decision.effect'] = decision.effect;
  if (str(decision.ruleId)) attributes['agentguard.decision.rule_id'] = decision.ruleId;
  if (str(data.code)) {
    attributes['error.type'] = data.code;
    attributes['agentguard.denial.code'] = data.code;
  }
  const time = str(record.ts) ? new Date(record.ts) : undefined;
  const warn = WARN_TYPES.has(type);
  return {
    eventName: `agentguard.audit.${type}`,
    ...(time !== undefined && !Number.isNaN(time.getTime()) ? { timestamp: time } : {}),
    severityNumber: warn ? WARN : INFO,
    severityText: warn ? 'WARN' : 'INFO',
    // A parsed JSON object is an AnyValueMap: strings, numbers, booleans, null, arrays and maps only.
    body: record as AnyValueMap,
    attributes,
  };
}

/**
 * A sink that sends every record to OpenTelemetry as a LogRecord (see {@link toLogRecord}), so audit events reach
 * the collector and backend a team already runs. Import it from `@agentguard/audit/otel`; `@opentelemetry/api-logs`
 * is an optional peer dependency, used for types only.
 *
 * Not durable: `emit` hands the record to the SDK's processor and returns; whether it reaches the backend is not
 * known here. Use it beside a file sink (the log of record), not instead of one, and keep checkpoints in the backend
 * to verify the file against later (`agentguard verify <log> --checkpoint`). A batch is converted before any line
 * is emitted; when `emit` throws part-way, the lines before it were already exported.
 *
 * @param options - see {@link OtelSinkOptions}.
 * @returns an {@link AuditSink}.
 * @throws TypeError when `logger.emit` is not a function.
 * @example
 * ```ts
 * import { logs } from '@opentelemetry/api-logs';
 * import { createOtelSink } from '@agentguard/audit/otel';
 * const otel = createOtelSink({ logger: logs.getLogger('agentguard-audit'), flush: () => provider.forceFlush() });
 * const log = createAuditLog({ sink: [fileSink, otel] });
 * ```
 */
export function createOtelSink(options: OtelSinkOptions): AuditSink {
  if (typeof options?.logger?.emit !== 'function') throw new TypeError('"logger" expected an OpenTelemetry Logger');
  const { logger, flush, onError } = options;
  if (flush !== undefined && typeof flush !== 'function') throw new TypeError('"flush" expected a function');
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError('"onError" expected a function');
  let closed = false;
  return Object.freeze({
    async write(lines: readonly string[]) {
      if (closed) throw new AuditError('ERR_AUDIT_CLOSED', 'OpenTelemetry sink is closed');
      const records = lines.map(toLogRecord);
      try {
        for (const record of records) logger.emit(record);
      } catch (cause) {
        if (onError === undefined) {
          const detail = cause instanceof Error ? cause.message : String(cause);
          throw new AuditError('ERR_AUDIT_SINK_FAILED', `OpenTelemetry logger failed: ${detail}`, { cause });
        }
        try {
          onError(cause);
        } catch {
          // A failing error handler must not turn best-effort export into a failed append.
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await flush?.();
    },
  });
}
