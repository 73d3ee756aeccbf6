import { readFileSync } from 'node:fs';
import { createAuditLog, createMemorySink, type EventRecord, readLog } from '@agentguard/audit';
import { utf8 } from '@agentguard/statement';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOcsf, OCSF_VERSION, toOcsfEvent } from '../src/index.js';
import { ALICE, BOB, LOG_KEY, POLICY_HASH, STRANGER, T0, writeLog } from './helpers.js';

const schema = JSON.parse(readFileSync(new URL('./ocsf/api_activity.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const valid = (event: unknown) => {
  const ok = validate(event);
  return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

/** A log with one record of every event type, with the data each one usually carries. */
async function everyType(): Promise<Uint8Array> {
  const sink = createMemorySink();
  let t = T0;
  const log = createAuditLog({
    sink,
    clock: () => t++,
    checkpoint: { signer: LOG_KEY, origin: 'example.com/audit', everyRecords: 100, everyMs: 0 },
  });
  const decision = { effect: 'deny', ruleId: 'r1', reason: 'not allowed', mode: 'enforce' };
  const types = [
    [
      'call.requested',
      { argsDigest: `sha256:${'aa'.repeat(32)}`, policyHash: POLICY_HASH, agentName: 'alice', session: 's-1' },
    ],
    ['call.denied', { code: 'ERR_GUARD_POLICY_DENIED', reason: 'not allowed', decision }],
    ['call.invalid', { code: 'ERR_GUARD_ARGS_INVALID', reason: 'bad args' }],
    [
      'call.completed',
      { decision: { effect: 'allow', ruleId: 'r0' }, resultDigest: `sha256:${'bb'.repeat(32)}`, durationMs: 2 },
    ],
    ['call.failed', { error: { code: 'ERR_GUARD_TOOL_FAILED', message: 'boom' }, durationMs: 1 }],
    ['approval.requested', {}],
    ['approval.granted', { approver: BOB.id }],
    ['approval.refused', { reason: 'no' }],
    ['monitor.alert', { reason: 'unusual', score: 0.9, flagged: true }],
    ['attestation', {}],
    ['egress.allowed', {}],
    ['egress.refused', {}],
    ['mode.changed', {}],
  ] as const;
  for (const [i, [type, data]] of types.entries()) {
    await log.append({ type, callId: `c-${i}`, agent: ALICE.id, tool: 'search\u00e9', data }, ALICE);
  }
  await log.close();
  return utf8(sink.text());
}

describe('OCSF export', () => {
  let log: Uint8Array;
  beforeAll(async () => {
    log = await everyType();
  });

  it('writes one API Activity event per event record, each valid against the OCSF schema', () => {
    const lines = exportOcsf(log).split('\n').slice(0, -1);
    expect(lines.length).toBe(13);
    for (const line of lines) {
      const event = JSON.parse(line);
      expect(valid(event), line).toEqual([]);
      expect(event).toMatchObject({
        class_uid: 6003,
        category_uid: 6,
        type_uid: 600399,
        metadata: { version: OCSF_VERSION },
      });
      expect(event.ai_agent.uid).toBe(ALICE.id);
      expect(event.actor.app_uid).toBe(ALICE.id);
    }
    const [requested, denied, , completed, failed] = lines.map((l) => JSON.parse(l));
    expect(requested).toMatchObject({
      policy: { uid: POLICY_HASH },
      ai_agent: { name: 'alice', instance_uid: 's-1' },
      status_id: 0,
    });
    expect(denied).toMatchObject({
      status_id: 2,
      action_id: 2,
      disposition_id: 2,
      status_code: 'ERR_GUARD_POLICY_DENIED',
      severity_id: 3,
    });
    expect(completed).toMatchObject({
      status_id: 1,
      action_id: 1,
      unmapped: { agentguard: { ruleId: 'r0', effect: 'allow' } },
    });
    expect(failed).toMatchObject({
      status_id: 2,
      api: { response: { error: 'ERR_GUARD_TOOL_FAILED', message: 'boom' } },
    });
    expect(failed.action_id).toBeUndefined();
  });

  it('the schema refuses what OCSF refuses (a check that can fail)', () => {
    const event = JSON.parse(exportOcsf(log).split('\n')[0] as string);
    expect(valid({ ...event, class_uid: 6002 })).not.toEqual([]);
    expect(valid({ ...event, agent: 'x' })).not.toEqual([]);
    const { api: _api, ...noApi } = event;
    expect(valid(noApi)).not.toEqual([]);
    expect(valid({ ...event, ai_agent: { ...event.ai_agent, model: 'x' } })).not.toEqual([]);
  });

  it('stays valid for any tool name, call id and data (property)', () => {
    const [record] = readLog(log).records as EventRecord[];
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.dictionary(
          fc.constantFrom('code', 'reason', 'agentName', 'session', 'policyHash', 'decision', 'error'),
          fc.jsonValue(),
        ),
        (tool, data) => valid(toOcsfEvent({ ...(record as EventRecord), tool, data })).length === 0,
      ),
      { numRuns: 300 },
    );
  });

  it('reads no field of data that breaks the record contract', () => {
    const record = (readLog(log).records as EventRecord[]).find((r) => r.type === 'call.denied') as EventRecord;
    const kept = toOcsfEvent(record);
    expect(kept.status_code).toBe('ERR_GUARD_POLICY_DENIED');
    expect(kept.status_detail).toBe('not allowed');
    // One field of the wrong type (a signer may write anything the log takes its signature on): none is read.
    const broken = toOcsfEvent({ ...record, data: { ...record.data, decision: { effect: 'maybe' } } });
    expect(broken.status_code).toBeUndefined();
    expect(broken.status_detail).toBeUndefined();
    expect(broken.status).toBe('Failure'); // the record's own type still says what it is
    expect(valid(broken)).toEqual([]);
    // A field only other record types name is not read from this one (nothing checked it here).
    const completed = (readLog(log).records as EventRecord[]).find((r) => r.type === 'call.completed') as EventRecord;
    const named = toOcsfEvent({ ...completed, data: { ...completed.data, agentName: 'mallory', code: 'ERR_X' } });
    expect(named.actor.app_name).toBe(completed.agent);
    expect(named.status_code).toBeUndefined();
  });

  it('filters by agent and time, and refuses a log that does not verify', async () => {
    const mixed = await writeLog(20, 5);
    const bob = exportOcsf(mixed, { agent: BOB.id, fromMs: T0 + 4, toMs: T0 + 12 })
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    expect(bob.length).toBeGreaterThan(0);
    expect(bob.every((e) => e.actor.app_uid === BOB.id && e.time >= T0 + 4 && e.time <= T0 + 12)).toBe(true);
    const broken = new Uint8Array(mixed);
    broken[100] = (broken[100] as number) ^ 1;
    expect(() => exportOcsf(broken)).toThrow(expect.objectContaining({ code: 'ERR_EVIDENCE_OCSF_LOG_INVALID' }));
    expect(() => exportOcsf(mixed, { trust: [STRANGER.id] })).toThrow(
      expect.objectContaining({ code: 'ERR_EVIDENCE_OCSF_LOG_INVALID' }),
    );
  });
});
