import {
  AUDIT_EVENT_TYPES,
  type AuditEventType,
  type CallRequestedData,
  containsRedaction,
  type DecisionData,
  isSealedValue,
  type RecordDataByType,
  parseRecordData,
  RECORD_MAX_BYTES,
  RECORD_MAX_DEPTH,
  verifyLog,
} from '@agentguard/audit';
import { fromUtf8, parseJson } from '@agentguard/statement';
import type { Effect } from '@agentguard/policy';
import type { CommandIO } from '../command.js';
import { readLogFile } from './audit-common.js';
import { PolicyCommandError } from './policy-common.js';

/** One call as an audit log tells it: what was asked, and what the policy decided then. */
export interface LoggedCall {
  /** 1-based line of the `call.requested` record. */
  readonly line: number;
  readonly callId: string;
  readonly agent: string;
  /** The agent's name as the policy saw it (the did:key when the log predates the field). */
  readonly agentName: string;
  readonly tool: string;
  readonly tags: readonly string[];
  /** The tool's data-flow labels. */
  readonly labels: readonly string[];
  /** The arguments, or undefined when the tool was sensitive (digest only). */
  readonly args: unknown;
  /**
   * JSON pointers of the arguments the log holds redacted (a string with a redaction marker, or an
   * array with one inside): their recorded value is not the value the tool received.
   */
  readonly redacted: readonly string[];
  readonly ts: string;
  readonly policyHash: string | undefined;
  /** The policy's effect at the time; undefined when the call never reached a decision (invalid args, bad envelope). */
  readonly effect: Effect | undefined;
  /** Whether that decision was an allow only because of monitor mode. */
  readonly wouldDeny: boolean;
  readonly ruleId: string | null;
}

type Row = { type: string; callId: string; agent: string; tool: string; ts: string; data?: unknown };

/** The decision an outcome record holds, read through the record-data contract. */
function effectOf(
  type: string,
  fields: { readonly decision?: DecisionData; readonly code?: string },
): { effect?: Effect; wouldDeny: boolean; ruleId: string | null } {
  const decision = fields.decision;
  const ruleId = typeof decision?.ruleId === 'string' ? decision.ruleId : null;
  const wouldDeny = decision?.wouldDeny === true;
  if (decision?.effect !== undefined) return { effect: decision.effect, wouldDeny, ruleId };
  // Refusals recorded before core wrote the decision object: read the code.
  if (type === 'call.denied' && fields.code === 'ERR_GUARD_POLICY_DENIED') return { effect: 'deny', wouldDeny, ruleId };
  if (type === 'call.denied' && fields.code === 'ERR_GUARD_APPROVAL_REQUIRED')
    return { effect: 'require_approval', wouldDeny, ruleId };
  return { wouldDeny, ruleId };
}

const EVENT_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
function isEventType(type: string): type is AuditEventType {
  return EVENT_TYPES.has(type);
}

/** A record's data as the contract types it; a verified log whose writer broke the contract is refused. */
function dataOf<K extends AuditEventType>(type: K, data: unknown, at: string): RecordDataByType[K] {
  const parsed = parseRecordData(type, data);
  if (!parsed.ok) throw new PolicyCommandError(`${at}: ${parsed.reason} (the record breaks the record-data contract)`);
  return parsed.data;
}

const pointerToken = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

function holdsRedaction(value: unknown): boolean {
  if (typeof value === 'string') return containsRedaction(value);
  if (typeof value !== 'object' || value === null) return false;
  // A sealed value (personal data encrypted for its subject) is not the value the tool received either.
  if (isSealedValue(value)) return true;
  return Object.values(value).some(holdsRedaction);
}

/** The pointers of redacted values in recorded args; an array with one inside counts as a whole. */
export function redactedPointers(args: unknown, at = ''): string[] {
  if (typeof args === 'string' || Array.isArray(args) || isSealedValue(args)) return holdsRedaction(args) ? [at] : [];
  if (typeof args !== 'object' || args === null) return [];
  return Object.entries(args).flatMap(([key, value]) => redactedPointers(value, `${at}/${pointerToken(key)}`));
}

/** A copy of `args` without the values at `pointers` (each as {@link redactedPointers} gives them). */
export function withoutPointers(args: unknown, pointers: ReadonlySet<string>, at = ''): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return args;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const here = `${at}/${pointerToken(key)}`;
    if (!pointers.has(here)) out[key] = withoutPointers(value, pointers, here);
  }
  return out;
}

/**
 * Reads an audit log, verifies its chain and signatures first (a replay of a
 * tampered log would mislead), and returns its calls in log order.
 */
export async function readLoggedCalls(file: string, io: CommandIO): Promise<{ path: string; calls: LoggedCall[] }> {
  const { path, bytes, where } = await readLogFile(file, io);
  // The verifier decodes each line as strict UTF-8 and names one that is not.
  const report = verifyLog(bytes);
  if (!report.ok) {
    throw new PolicyCommandError(
      `${where(report.line)}: ${report.code}: ${report.reason} (the log must verify before it is used)`,
    );
  }
  // Every line verified, so every line is UTF-8: this strict decode reads exactly what the verifier read.
  const text = fromUtf8(bytes);
  const calls = new Map<string, { call: LoggedCall; decided: boolean }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === '') continue;
    // The same strict parser the verifier used, so both read the same value.
    const row = parseJson(raw, { maxBytes: RECORD_MAX_BYTES, maxDepth: RECORD_MAX_DEPTH }) as unknown as Row;
    if (row.type === 'call.requested') {
      const data: CallRequestedData = dataOf('call.requested', row.data, where(i + 1));
      calls.set(row.callId, {
        decided: false,
        call: {
          line: i + 1,
          callId: row.callId,
          agent: row.agent,
          agentName: data.agentName ?? row.agent,
          tool: row.tool,
          tags: data.tags ?? [],
          labels: data.labels ?? [],
          args: Object.hasOwn(data, 'args') ? data.args : undefined,
          redacted: redactedPointers(data.args),
          ts: row.ts,
          policyHash: data.policyHash,
          effect: undefined,
          wouldDeny: false,
          ruleId: null,
        },
      });
    } else if (
      row.type === 'call.denied' ||
      row.type === 'call.completed' ||
      row.type === 'call.failed' ||
      row.type.startsWith('approval.')
    ) {
      const entry = calls.get(row.callId);
      if (entry === undefined || entry.decided || !isEventType(row.type)) continue;
      const outcome = effectOf(
        row.type,
        dataOf(row.type, row.data, where(i + 1)) as { decision?: DecisionData; code?: string },
      );
      if (outcome.effect === undefined) continue;
      entry.decided = true;
      entry.call = { ...entry.call, effect: outcome.effect, wouldDeny: outcome.wouldDeny, ruleId: outcome.ruleId };
    }
  }
  return { path, calls: [...calls.values()].map((e) => e.call) };
}
