import type { AgentProfile, Profile } from './profile.js';

function entries(agent: string, p: AgentProfile): Set<string> {
  const out = new Set<string>([`agent:${agent}`]);
  for (const tool of Object.keys(p.tools)) out.add(`tool:${agent}:${tool}`);
  for (const [from, row] of Object.entries(p.transitions))
    for (const to of Object.keys(row)) out.add(`t:${agent}:${from}>${to}`);
  for (const [kind, list] of Object.entries(p.values)) for (const v of list ?? []) out.add(`v:${agent}:${kind}:${v}`);
  for (const [kind, list] of Object.entries(p.environment))
    for (const v of list ?? []) out.add(`e:${agent}:${kind}:${v}`);
  for (const [sink, sources] of Object.entries(p.flows)) for (const s of sources) out.add(`f:${agent}:${s}>${sink}`);
  return out;
}

function allEntries(p: Profile): Set<string> {
  const out = new Set<string>();
  for (const [agent, ap] of Object.entries(p.agents)) for (const e of entries(agent, ap)) out.add(e);
  return out;
}

/**
 * How far a profile moved: the entries (agents, tools, transitions, known values, data flows) added or removed,
 * divided by the entries of `before` (at least 1). 0 is unchanged; 0.25 means a quarter as many
 * entries came or went as there were. A bound on it stops a poisoner from teaching a profile a new
 * normal in one step.
 *
 * @param before - the profile in force.
 * @param after - the proposed profile.
 * @returns the drift, >= 0.
 */
export function profileDrift(before: Profile, after: Profile): number {
  const a = allEntries(before);
  const b = allEntries(after);
  let changed = 0;
  for (const e of b) if (!a.has(e)) changed++;
  for (const e of a) if (!b.has(e)) changed++;
  return changed / Math.max(1, a.size);
}
