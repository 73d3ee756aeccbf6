import type { IsolationData } from '@agentguard/audit';
import {
  type Decision,
  type IsolationGrants,
  type IsolationLevel,
  isIsolationLevel,
  meetsIsolation,
} from '@agentguard/policy';
import { grantsExceeded, isolationOf, type RunnerGrants, runnerGrantsOf } from '@agentguard/policy/internal';

/**
 * A tool's isolation, and the policy's `isolation` obligation on it. The level is read from the tool's
 * `execute` (a sandbox runner carries a mark saying how it runs a call), never taken on trust from the spec:
 * a spec may only restate it, so a plain function declared `bwrap` is refused when it is guarded.
 */

/** @internal What a tool runs with: its level, and for a sandbox runner the paths and hosts it was given. */
export interface ToolIsolation {
  readonly level: IsolationLevel;
  readonly runner: RunnerGrants | undefined;
}

/**
 * @internal The isolation `execute` really runs with; `declared`, when given, must say the same.
 * @throws TypeError when `declared` is not a level, or names another level than `execute` runs with.
 */
export function toolIsolation(declared: unknown, execute: unknown): ToolIsolation {
  const level = toolLevel(declared, execute);
  // A marked runner whose configuration cannot be read has no known bounds: like in-process code, it meets
  // no grants.
  return Object.freeze({ level, runner: level === 'none' ? undefined : runnerGrantsOf(execute) });
}

function toolLevel(declared: unknown, execute: unknown): IsolationLevel {
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
  /** The policy's grants, when it has a `grants` obligation. */
  readonly grants: IsolationGrants | undefined;
  /** What the runner was configured with beyond the grants (`not sandboxed` for an in-process tool). */
  readonly exceeded: readonly string[];
  readonly met: boolean;
}

const NOT_SANDBOXED = Object.freeze(['not sandboxed']);
const UNKNOWN_RUNNER = Object.freeze(['runner configuration unknown']);
const NOTHING: readonly string[] = Object.freeze([]);

/**
 * @internal Judges a (validated) decision's isolation and grants obligations against the tool. Grants bound
 * a sandbox runner's configuration; a tool that is not one has no bounds at all, so it never meets them.
 */
export function judgeIsolation(decision: Decision, tool: ToolIsolation): IsolationJudgement {
  const required = decision.obligations?.isolation;
  const grants = decision.obligations?.grants;
  const actual = tool.level;
  let exceeded = NOTHING;
  if (grants !== undefined) {
    if (tool.runner !== undefined) exceeded = grantsExceeded(tool.runner, grants);
    else exceeded = actual === 'none' ? NOT_SANDBOXED : UNKNOWN_RUNNER;
  }
  const levelMet = required === undefined || meetsIsolation(actual, required);
  return { required, actual, grants, exceeded, met: levelMet && exceeded.length === 0 };
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
  if (judged.required !== undefined && !meetsIsolation(judged.actual, judged.required)) {
    return `${by} requires isolation '${judged.required}' or stronger, but this tool runs with '${judged.actual}'`;
  }
  if (judged.exceeded === NOT_SANDBOXED) {
    return `${by} grants this tool limited paths and hosts, but it runs in this process, where nothing limits it`;
  }
  if (judged.exceeded === UNKNOWN_RUNNER) {
    return `${by} grants this tool limited paths and hosts, but its runner's configuration cannot be read`;
  }
  return `${by} grants this tool limited paths and hosts, but its sandbox runner was configured beyond them: ${judged.exceeded.join(', ')}`;
}

/** @internal The `isolation` of a decision record: absent for an in-process tool the policy asked nothing of. */
export function isolationRecord(judged: IsolationJudgement): { isolation?: IsolationData } {
  const { required, grants } = judged;
  if (required === undefined && grants === undefined && judged.actual === 'none') return {};
  return {
    isolation: {
      actual: judged.actual,
      ...(required === undefined ? {} : { required }),
      ...(required === undefined && grants === undefined ? {} : { met: judged.met }),
      ...(grants === undefined
        ? {}
        : {
            grants: { read: grants.read ?? [], write: grants.write ?? [], egress: grants.egress ?? [] },
            ...(judged.exceeded.length === 0 ? {} : { exceeded: judged.exceeded }),
          }),
    },
  };
}
