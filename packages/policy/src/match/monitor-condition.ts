import { type ConditionContext, FALSE, TRUE, type Tri, UNKNOWN } from './conditions.js';
import type { MonitorVerdictView } from '../engine/decision.js';
import type { MonitorCondition } from '../document/schema.js';

/** A rule's `monitor` condition, compiled once: the verdict to TRUE, FALSE or UNKNOWN (no verdict). */
export type CompiledMonitorCondition = (verdict: MonitorVerdictView | undefined, ctx: ConditionContext) => Tri;

/**
 * Compiles a `monitor` condition. Every test given must hold. No verdict (no monitor, or a monitor that
 * failed) is undecided, so an `allow` rule with the condition does not apply and a `deny` or
 * `require_approval` rule does: a broken monitor can only make a policy stricter.
 */
export function compileMonitorCondition(c: MonitorCondition): CompiledMonitorCondition {
  const features = c.features === undefined ? undefined : new Set(c.features);
  return (verdict, ctx) => {
    if (verdict === undefined || verdict.status !== 'scored') {
      ctx.notes.push(
        `monitor: ${verdict === undefined ? 'no verdict (the guard has no monitor)' : `no verdict (${verdict.reason.slice(0, 200)})`}`,
      );
      return UNKNOWN;
    }
    if (c.flagged !== undefined && verdict.flagged !== c.flagged) return FALSE;
    if (c.minScore !== undefined && !(verdict.score >= c.minScore)) return FALSE;
    if (c.maxScore !== undefined && !(verdict.score <= c.maxScore)) return FALSE;
    if (features !== undefined && !verdict.features.some((f) => features.has(f))) return FALSE;
    return TRUE;
  };
}
