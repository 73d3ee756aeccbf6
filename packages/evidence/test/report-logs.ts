import { type AuditEvent, createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity, type Signer } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { z } from 'zod';

/** Fixed keys, so a log built twice is the same bytes. Test-only. */
export const AGENT = createIdentity({ secretKey: new Uint8Array(32).fill(21), name: 'report-agent' });
export const LOG_KEY = createIdentity({ secretKey: new Uint8Array(32).fill(22), name: 'report-log-key' });

export const DAY = 86_400_000;
export const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** An event of the test agent; `data` replaces the default data of its type. */
export function ev(type: AuditEvent['type'], i: number, data?: Record<string, unknown>, tool = 'search'): AuditEvent {
  const defaults: Record<string, Record<string, unknown>> = {
    'call.requested': { argsDigest: DIGEST, signing: 'batched', policyHash: DIGEST, agentName: 'report-agent' },
    'call.completed': { decision: { effect: 'allow', ruleId: 'read', mode: 'enforce' }, resultDigest: DIGEST },
    'call.denied': { code: 'ERR_GUARD_POLICY_DENIED', decision: { effect: 'deny', ruleId: null, mode: 'enforce' } },
  };
  return { type, callId: `call-${i}`, agent: AGENT.id, tool, data: data ?? defaults[type] ?? {} };
}

/** One written event: the event and when (epoch ms) it is written. */
export interface Timed {
  readonly at: number;
  readonly event: AuditEvent;
}

/**
 * Writes events with the real audit writer (records signed by the agent, batched requests unsigned, a checkpoint
 * by the log key at close) and returns the log's bytes and lines. Each record is stamped with its `at` time.
 */
export async function writeEvents(events: readonly Timed[], options: { checkpoint?: boolean; signer?: Signer } = {}) {
  const sink = createMemorySink();
  let now = events[0]?.at ?? T0;
  const log = createAuditLog({
    sink,
    clock: () => now,
    ...(options.checkpoint === false
      ? {}
      : { checkpoint: { signer: LOG_KEY, origin: 'example.com/report', everyRecords: 0, everyMs: 0 } }),
  });
  for (const { at, event } of events) {
    now = at;
    // A request marked batched is written as a guard in throughput mode writes it: unsigned, vouched for by the
    // log key's next checkpoint only. Every other record is signed by the agent.
    const batched = event.data?.signing === 'batched' && options.checkpoint !== false;
    await (batched ? log.appendBatched(event) : log.append(event, options.signer ?? AGENT));
  }
  await log.close();
  const text = sink.text();
  return { bytes: new TextEncoder().encode(text), lines: [...sink.lines] };
}

/** A call that ran: request and completion, both at `at`. */
export const ranCall = (i: number, at = T0): Timed[] => [
  { at, event: ev('call.requested', i) },
  { at, event: ev('call.completed', i) },
];

const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'crm-read', effect: 'allow', tools: ['lookup_customer'] },
    { id: 'mail', effect: 'allow', tools: ['send_email'] },
  ],
};

/**
 * A log written by a real guard: a tool labelled `reads:pii` called twice, an unlabelled mail tool given an
 * e-mail address (which the redactor finds), and a call the policy denies. Signed per call, sealed by the log key.
 */
export async function guardLog(options: { labelMail?: boolean } = {}) {
  const sink = createMemorySink();
  const audit = createAuditLog({
    sink,
    checkpoint: { signer: LOG_KEY, origin: 'example.com/guard', everyRecords: 0, everyMs: 0 },
  });
  const ag = createGuard({ identity: AGENT, policy, audit });
  const lookup = ag.guard({
    name: 'lookup_customer',
    schema: z.object({ id: z.string() }),
    labels: ['reads:pii'],
    execute: (args) => ({ id: args.id, tier: 'gold' }),
  });
  const mail = ag.guard({
    name: 'send_email',
    schema: z.object({ to: z.string(), body: z.string() }),
    ...(options.labelMail === true ? { labels: ['writes:pii'] } : {}),
    execute: () => 'sent',
  });
  const drop = ag.guard({ name: 'drop_table', schema: z.object({ name: z.string() }), execute: () => 'dropped' });
  await lookup({ id: 'c-1' });
  await lookup({ id: 'c-2' });
  await mail({ to: 'jane.doe@example.com', body: 'your order shipped' });
  await drop.safeRun({ name: 'customers' });
  await audit.close();
  return { bytes: new TextEncoder().encode(sink.text()), lines: [...sink.lines] };
}

export const TRUST = [AGENT.id, LOG_KEY.id];
