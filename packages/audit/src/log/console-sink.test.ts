import { describe, expect, it } from 'vitest';
import { createConsoleSink, formatRecord } from './console-sink.js';
import { createAuditLog } from './log.js';
import { createMemorySink } from './sink.js';
import { AGENT, event, LOG_KEY } from '../../test/helpers.js';

describe('console sink', () => {
  it('prints one readable line per record, beside other sinks', async () => {
    const printed: string[] = [];
    const memory = createMemorySink();
    const log = createAuditLog({
      sink: [memory, createConsoleSink({ write: (t) => printed.push(t) })],
      checkpoint: { signer: LOG_KEY, everyMs: 0 },
    });
    await log.append(
      { ...event(0), type: 'call.denied', data: { code: 'ERR_GUARD_POLICY_DENIED', reason: 'no rule' } },
      AGENT,
    );
    await log.close();
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/#0 call\.denied +search …\w{8} call-0 ERR_GUARD_POLICY_DENIED no rule$/);
    expect(printed[1]).toContain('checkpoint of 1 records');
    expect(memory.lines).toHaveLength(2);
  });

  it('colours on request and never lets a record inject terminal escapes', () => {
    const record = {
      v: 1,
      seq: 0,
      ts: '2026-01-01T00:00:00.000Z',
      prev: '0'.repeat(64),
      type: 'call.failed',
      callId: 'c',
      agent: AGENT.id,
      tool: 'x',
      data: { reason: 'bad\u001b[2J\nthing' },
      signer: AGENT.id,
      hash: '0'.repeat(64),
      sig: `${'A'.repeat(86)}==`,
    } as const;
    const plain = formatRecord(record);
    expect(plain).not.toContain('\u001b');
    expect(plain).not.toContain('\n');
    const colored = formatRecord(record, { color: true });
    expect(colored.startsWith('\u001b[33m')).toBe(true);
    expect(colored.endsWith('\u001b[0m')).toBe(true);
  });
});
