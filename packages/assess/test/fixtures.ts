import type { LogRecord } from '../src/log.js';

export const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

/** A deployment description as the tests mutate it (parseDeployment checks it). */
export interface Fixture {
  [key: string]: unknown;
  tools: Record<string, unknown>[];
  agents: Record<string, unknown>[];
  policy: { version: 1; rules: Record<string, unknown>[]; limits?: unknown[] };
  redaction?: unknown;
  mode?: unknown;
  checkpoints?: unknown;
  revocation?: unknown;
}

/** A deployment that triggers no finding: every check's "does not trigger" fixture. */
export function cleanDeployment(): Fixture {
  return {
    version: 1,
    name: 'billing-prod',
    tools: [
      { name: 'list_files', tags: ['read'], pinned: true },
      { name: 'pay', tags: ['payment'], isolation: 'process', pinned: true },
      { name: 'crm_lookup', labels: ['reads:pii'], pinned: true },
    ],
    policy: {
      version: 1,
      rules: [
        {
          id: 'allow-list',
          effect: 'allow',
          tools: ['list_files'],
          agents: ['billing'],
          when: { '/path': { pathPrefix: ['/data'] } },
        },
        { id: 'allow-pay', effect: 'allow', tools: ['pay'], agents: ['billing'] },
        { id: 'approve-pay', effect: 'require_approval', tools: ['pay'] },
        { id: 'allow-crm', effect: 'allow', tools: ['crm_lookup'], agents: ['billing'] },
      ],
      limits: [{ id: 'pay-rate', tools: ['pay'], rate: { calls: 10, windowMs: 60_000 } }],
    },
    agents: [{ name: 'billing', key: 'signer-process' }],
    checkpoints: { enabled: true, witness: 'https://witness.invalid/', lastShippedAt: iso(NOW - 3_600_000) },
    revocation: { fetchedAt: iso(NOW - 3_600_000), expiresAt: iso(NOW + DAY) },
    redaction: { enabled: true },
    mode: { value: 'enforce', since: iso(NOW - 90 * DAY) },
  };
}

export interface CallSpec {
  readonly tool: string;
  readonly agent?: string;
  readonly args?: unknown;
  readonly effect?: 'allow' | 'deny' | 'require_approval';
  readonly mode?: 'enforce' | 'monitor';
  readonly wouldDeny?: boolean;
  readonly ruleId?: string | null;
  readonly approval?: 'granted' | 'refused';
  readonly tags?: readonly string[];
}

/** Audit records (as a verified log holds them) for these calls, then `alerts` monitor alerts. */
export function records(calls: readonly CallSpec[], alerts = 0): LogRecord[] {
  const out: LogRecord[] = [];
  const agent = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
  const push = (type: string, callId: string, tool: string, data: unknown) =>
    out.push({ seq: out.length, type, ts: iso(NOW - DAY + out.length * 1000), callId, agent, tool, data });
  calls.forEach((c, i) => {
    const id = `call-${i}`;
    push('call.requested', id, c.tool, { agentName: c.agent ?? 'billing', tags: c.tags ?? [], args: c.args ?? {} });
    const decision = {
      effect: c.effect ?? 'allow',
      ruleId: c.ruleId === undefined ? null : c.ruleId,
      reason: 'r',
      matched: [],
      mode: c.mode ?? 'enforce',
      ...(c.wouldDeny === true ? { wouldDeny: true } : {}),
    };
    if (c.approval === 'granted') {
      push('approval.requested', id, c.tool, { code: 'ERR_GUARD_APPROVAL_REQUIRED', reason: 'r' });
      push('approval.granted', id, c.tool, { approver: 'did:key:x', decision });
      push('call.completed', id, c.tool, { decision, durationMs: 1 });
    } else if (c.approval === 'refused') {
      push('approval.requested', id, c.tool, { code: 'ERR_GUARD_APPROVAL_REQUIRED', reason: 'r' });
      push('approval.refused', id, c.tool, { code: 'ERR_GUARD_APPROVAL_REFUSED', reason: 'no', decision });
    } else if (decision.effect === 'deny') {
      push('call.denied', id, c.tool, { code: 'ERR_GUARD_POLICY_DENIED', reason: 'r', decision });
    } else push('call.completed', id, c.tool, { decision, durationMs: 1 });
  });
  for (let i = 0; i < alerts; i++) push('monitor.alert', `alert-${i}`, 'list_files', { score: 5, flagged: true });
  return out;
}

/** The baseline log: 40 reads of files under /data, allowed by `allow-list`. */
export function cleanCalls(): CallSpec[] {
  return Array.from({ length: 40 }, (_, i) => ({
    tool: 'list_files',
    args: { path: `/data/f${i}.txt` },
    ruleId: 'allow-list',
    tags: ['read'],
  }));
}
