import type { Condition, Policy, PolicyRule } from '../document/schema.js';
import { normalizePath } from '../match/path.js';
import { parsePolicy } from '../document/parse.js';
import { readUrlHost } from '../match/url.js';

/** One observed call (e.g. read from an audit log written in monitor mode). */
export interface Observation {
  /** The agent's id. */
  readonly agent: string;
  readonly tool: string;
  /** The call's arguments; `undefined` when they were not recorded (sensitive tools). */
  readonly args?: unknown;
}

/** Options of {@link suggestPolicy}. */
export interface SuggestPolicyOptions {
  /**
   * Id of the suggested policy.
   * @default 'suggested'
   */
  readonly id?: string;
  /**
   * A string field with at most this many distinct observed values gets an `in` list; with more, a range-like test.
   * @default 5
   */
  readonly maxDistinctValues?: number;
  /**
   * Deepest object nesting examined for conditions.
   * @default 3
   */
  readonly maxDepth?: number;
}

type Leaf = { pointer: string; values: unknown[] };

function escapeToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Leaf fields present in every observation's args, with their observed values. */
function commonLeaves(argsList: readonly unknown[], maxDepth: number): Leaf[] {
  const out: Leaf[] = [];
  const walk = (values: unknown[], pointer: string, depth: number) => {
    const objects = values.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    if (objects && depth < maxDepth) {
      const records = values as Record<string, unknown>[];
      const keys = Object.keys(records[0] ?? {}).filter((k) => records.every((r) => Object.hasOwn(r, k)));
      for (const key of keys.sort())
        walk(
          records.map((r) => r[key]),
          `${pointer}/${escapeToken(key)}`,
          depth + 1,
        );
      return;
    }
    if (pointer !== '') out.push({ pointer, values });
  };
  walk([...argsList], '', 0);
  return out;
}

function commonDirectory(paths: readonly string[]): string | undefined {
  const dirs = paths.map((p) => p.split('/').slice(0, -1));
  let common = dirs[0] ?? [];
  for (const d of dirs) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  const dir = common.join('/');
  return dir === '' ? undefined : dir;
}

function webHost(text: string): string | undefined {
  if (!/^https?:\/\//i.test(text)) return undefined;
  // Only URLs the engine can decide: a suggestion from an ambiguous URL would never match it.
  const read = readUrlHost(text);
  return read.ok ? read.host : undefined;
}

function conditionFor(values: readonly unknown[], maxDistinct: number): Condition | undefined {
  if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const nums = values as number[];
    return { min: Math.min(...nums), max: Math.max(...nums) };
  }
  if (values.every((v) => Array.isArray(v))) {
    return { maxItems: Math.max(...(values as unknown[][]).map((a) => a.length)) };
  }
  if (values.every((v) => typeof v === 'string')) {
    // Paths and URLs generalise to their directory and host: narrower than "any string", wider than the exact list.
    const strings = values as string[];
    const paths = strings.map((s) => normalizePath(s));
    if (paths.every((p) => p !== undefined)) {
      const dir = commonDirectory(paths as string[]);
      if (dir !== undefined) return { pathPrefix: [dir] };
    }
    const hosts = strings.map(webHost);
    if (hosts.every((h) => h !== undefined)) {
      const unique = [...new Set(hosts as string[])].sort();
      if (unique.length <= maxDistinct * 2) return { urlHost: unique };
    }
  }
  const distinct = [...new Map(values.map((v) => [JSON.stringify(v), v])).values()];
  const scalar = values.every((v) => v === null || ['string', 'boolean'].includes(typeof v));
  if (scalar && distinct.length <= maxDistinct) return { in: distinct as NonNullable<Condition['in']> };
  if (!values.every((v) => typeof v === 'string')) return undefined;
  const strings = values as string[];
  return { maxLength: Math.max(...strings.map((s) => s.length)) };
}

/**
 * Suggests the least-privilege policy that allows what was observed: one
 * allow rule per (agent, tool) pair, narrowed by argument conditions drawn
 * from the observed values (numeric ranges, value sets, a common directory,
 * URL hosts, string and array sizes) for fields every observed call had. It
 * is a starting point for a human to review, never to enforce unread.
 *
 * @param observations - the calls to allow.
 * @param options - see {@link SuggestPolicyOptions}.
 * @returns a validated policy (it passes the restraint self-test because every rule names its agent).
 * @example
 * ```ts
 * const policy = suggestPolicy([{ agent: 'did:key:z6Mk…', tool: 'search', args: { q: 'x', limit: 5 } }]);
 * ```
 */
export function suggestPolicy(observations: readonly Observation[], options: SuggestPolicyOptions = {}): Policy {
  if (!Array.isArray(observations)) throw new TypeError('"observations" expected an array');
  const maxDistinct = options.maxDistinctValues ?? 5;
  const maxDepth = options.maxDepth ?? 3;
  const groups = new Map<string, Observation[]>();
  for (const o of observations) {
    const key = JSON.stringify([o.agent, o.tool]);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [o]);
    else group.push(o);
  }
  const rules: PolicyRule[] = [];
  const usedIds = new Set<string>();
  for (const group of groups.values()) {
    const { agent, tool } = group[0] as Observation;
    const base = `allow-${tool.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}`;
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    const recorded = group.every((o) => o.args !== undefined);
    const when: Record<string, Condition> = {};
    if (recorded) {
      for (const leaf of commonLeaves(
        group.map((o) => o.args),
        maxDepth,
      )) {
        const condition = conditionFor(leaf.values, maxDistinct);
        if (condition !== undefined) when[leaf.pointer] = condition;
      }
    }
    const reason = `suggested from ${group.length} observed call(s)${recorded ? '' : ' (arguments not recorded: no argument conditions)'}`;
    rules.push({
      id,
      effect: 'allow',
      reason,
      agents: [agent],
      tools: [tool],
      ...(Object.keys(when).length > 0 ? { when } : {}),
    });
  }
  return parsePolicy({
    version: 1,
    id: options.id ?? 'suggested',
    description: `Suggested from ${observations.length} observed call(s). Review every rule before enforcing it.`,
    rules,
  });
}
