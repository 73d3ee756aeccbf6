import type { IsolationData } from '@agentguard/audit';
import { type Decision, type IsolationLevel, isIsolationLevel, meetsIsolation } from '@agentguard/policy';
import { isolationOf } from '@agentguard/policy/internal';

/**
 * A tool's isolation, and the policy's `isolation` obligation on it. The level is read from the tool's
 * `execute` (a sandbox runner carries a mark saying how it runs a call), never taken on trust from the spec:
 * a spec may only restate it, so a plain function declared `bwrap` is refused when it is guarded.
 */

/**
 * @internal The isolation `execute` really runs with; `declared`, when given, must say the same.
 * @throws TypeError when `declared` is not a level, or names another level than `execute` runs with.
 */
export function toolIsolation(declared: unknown, execute: unknown): IsolationLevel {
  if (declared !== undefined && !isIsolationLevel(declared)) {
    throw new TypeError(`"isolation" expected 'process', 'bwrap' or 'none', got ${JSON.stringify(declared)}`);
  }
  const actual = isolationOf(execute);
  if (declared !== undefined && declared !== actual) {
    const what = actual === 'none' ? 'a function that runs in this process' : `a '${actual}' sandbox runner`;
    throw new TypeError(
      `"isolation" is '${declared}', but "execute" is ${what}: pass the runner's own execute (sandboxed(...).execute), unwrapped`,
    );
  }
  return actual;
}

/** @internal What the policy asked of a call's isolation, and whether the tool meets it. */
export interface IsolationJudgement {
  readonly required: IsolationLevel | undefined;
  readonly actual: IsolationLevel;
  readonly met: boolean;
}

/** @internal Judges a (validated) decision's isolation obligation against the tool's level. */
export function judgeIsolation(decision: Decision, actual: IsolationLevel): IsolationJudgement {
  const required = decision.obligations?.isolation;
  return { required, actual, met: required === undefined || meetsIsolation(actual, required) };
}

/**
 * @internal Whether an unmet obligation refuses the call: in an enforcing policy it does; in a policy in
 * `monitor` mode the call runs and its record says it would have been refused, as for a monitored rule.
 */
export function isolationRefuses(judged: IsolationJudgement, decision: Decision): boolean {
  return !judged.met && decision.mode === 'enforce';
}

/** @internal The reason of a call refused for its isolation. */
export function isolationReason(judged: IsolationJudgement, ruleId: string | null): string {
  const by = ruleId === null ? 'the policy' : `the policy (rule ${JSON.stringify(ruleId)})`;
  return `${by} requires isolation '${judged.required ?? 'none'}' or stronger, but this tool runs with '${judged.actual}'`;
}

/** @internal The `isolation` of a decision record: absent for an in-process tool the policy asked nothing of. */
export function isolationRecord(judged: IsolationJudgement): { isolation?: IsolationData } {
  if (judged.required === undefined && judged.actual === 'none') return {};
  return {
    isolation: {
      actual: judged.actual,
      ...(judged.required === undefined ? {} : { required: judged.required, met: judged.met }),
    },
  };
}
