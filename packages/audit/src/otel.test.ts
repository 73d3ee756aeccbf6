import type { Logger, LogRecord } from '@opentelemetry/api-logs';
import { describe, expect, it } from 'vitest';
import { AuditError } from './errors.js';
import { createAuditLog } from './log/log.js';
import { createOtelSink, toLogRecord } from './otel.js';
import { createMemorySink } from './log/sink.js';
import { AGENT, LOG_KEY } from '../test/helpers.js';
import { verifyLog } from './verify/verify.js';

/** An in-memory Logger implementing the @opentelemetry/api-logs interface, as an SDK's logger would. */
function fakeLogger(fail?: (record: LogRecord) => boolean): Logger & { readonly emitted: LogRecord[] } {
  const emitted: LogRecord[] = [];
  return {
    emitted,
    emit(record: LogRecord) {
      if (fail?.(record)) throw new Error('exporter queue full');
      emitted.push(record);
    },
    enabled: () => true,
  };
}

const call = (type: 'call.requested' | 'call.denied' | 'call.completed', i: number, data: Record<string, unknown>) =>
  ({ type, callId: `call-${i}`, agent: AGENT.id, tool: 'send_email', data }) as const;

describe('OpenTelemetry sink', () => {
  it('emits every record as a LogRecord with a map body and the exact line, beside a durable sink', async () => {
    const logger = fakeLogger();
    let flushed = 0;
    const memory = createMemorySink();
    const log = createAuditLog({
      sink: [memory, createOtelSink({ logger, flush: () => flushed++ })],
      checkpoint: { signer: LOG_KEY, everyMs: 0 },
    });
    await log.append(call('call.requested', 0, { argsDigest: `sha256:${'0'.repeat(64)}` }), AGENT);
    await log.append(
      call('call.denied', 1, {
        decision: { effect: 'deny', ruleId: 'no-mail', reason: 'r' },
        code: 'ERR_GUARD_POLICY_DENIED',
      }),
      AGENT,
    );
    await log.append(call('call.completed', 2, { decision: { effect: 'allow', ruleId: 'mail' } }), AGENT);
    await log.close();
    await log.close();

    expect(flushed).toBe(1);
    const lines = logger.emitted.map((r) => r.attributes?.['agentguard.audit.line']);
    expect(lines).toEqual(memory.lines);
    expect(logger.emitted.map((r) => r.body)).toEqual(memory.lines.map((l) => JSON.parse(l)));
    expect(verifyLog(lines.map((l) => `${l}\n`).join(''), { trust: [AGENT.id, LOG_KEY.id] }).ok).toBe(true);
    const [requested, denied, completed, checkpoint] = logger.emitted as [LogRecord, LogRecord, LogRecord, LogRecord];
    const line = JSON.parse(memory.lines[1] as string) as { hash: string; ts: string };
    expect(denied).toEqual({
      eventName: 'agentguard.audit.call.denied',
      timestamp: new Date(line.ts),
      severityNumber: 13,
      severityText: 'WARN',
      body: line,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'send_email',
        'gen_ai.tool.call.id': 'call-1',
        'gen_ai.agent.id': AGENT.id,
        'error.type': 'ERR_GUARD_POLICY_DENIED',
        'agentguard.audit.type': 'call.denied',
        'agentguard.audit.seq': 1,
        'agentguard.audit.hash': line.hash,
        'agentguard.audit.signer': AGENT.id,
        'agentguard.audit.line': memory.lines[1],
        'agentguard.decision.effect': 'deny',
        'agentguard.decision.rule_id': 'no-mail',
        'agentguard.denial.code': 'ERR_GUARD_POLICY_DENIED',
      },
    });
    expect(requested.severityText).toBe('INFO');
    expect(requested.attributes).not.toHaveProperty('agentguard.decision.effect');
    expect(completed.attributes?.['agentguard.decision.effect']).toBe('allow');
    expect(checkpoint.attributes).not.toHaveProperty('gen_ai.operation.name');
    expect(checkpoint.attributes).toEqual({
      'agentguard.audit.type': 'checkpoint',
      'agentguard.audit.line': memory.lines[3],
      'agentguard.audit.seq': 3,
      'agentguard.audit.hash': expect.stringMatching(/^[0-9a-f]{64}$/),
      'agentguard.audit.signer': LOG_KEY.id,
    });
  });

  it('fails closed by default: an emit that throws fails the append', async () => {
    const log = createAuditLog({ sink: createOtelSink({ logger: fakeLogger(() => true) }) });
    await expect(log.append(call('call.requested', 0, {}), AGENT)).rejects.toMatchObject({
      code: 'ERR_AUDIT_SINK_FAILED',
      message: expect.stringContaining('exporter queue full'),
    });
    expect(log.size).toBe(0);
  });

  it('in best-effort mode reports the error and lets the durable sink carry on', async () => {
    const errors: unknown[] = [];
    const memory = createMemorySink();
    const otel = createOtelSink({
      logger: fakeLogger((r) => r.attributes?.['agentguard.audit.seq'] === 0),
      onError: (e) => {
        errors.push(e);
        throw new Error('handler bug');
      },
    });
    const log = createAuditLog({ sink: [memory, otel] });
    await log.append(call('call.requested', 0, {}), AGENT);
    await log.append(call('call.completed', 1, {}), AGENT);
    expect(memory.lines).toHaveLength(2);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('exporter queue full');
  });

  it('refuses writes once closed', async () => {
    const sink = createOtelSink({ logger: fakeLogger() });
    await sink.close();
    await expect(sink.write(['{}'])).rejects.toSatisfy((e) => e instanceof AuditError && e.code === 'ERR_AUDIT_CLOSED');
  });

  it.each([
    ['not JSON', 'not json'],
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['wrong-typed fields', '{"type":5,"seq":"0","ts":"yesterday","data":{"decision":"allow"}}'],
  ])('turns a line that is %s into a LogRecord without throwing', (_, line) => {
    const record = toLogRecord(line);
    expect(record.body).toEqual(line.startsWith('{') ? JSON.parse(line) : {});
    expect(record.attributes).toEqual({ 'agentguard.audit.type': 'unknown', 'agentguard.audit.line': line });
    expect(record.timestamp).toBeUndefined();
  });

  it.each([
    ['no options', undefined],
    ['no logger', {}],
    ['a logger without emit', { logger: {} }],
    ['a bad flush', { logger: fakeLogger(), flush: 1 }],
    ['a bad onError', { logger: fakeLogger(), onError: 'log' }],
  ])('rejects %s with a TypeError', (_, options) => {
    expect(() => createOtelSink(options as never)).toThrow(TypeError);
  });
});
