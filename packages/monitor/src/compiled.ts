import type { AgentProfile } from './profile.js';

/** A tool of an agent profile, compiled for lookups on the hot path. */
export interface CompiledTool {
  readonly sideEffect: boolean;
  readonly maxPerSession: number;
  readonly argLength: ReadonlyMap<string, number>;
  /** Most calls in one rate window, when the profile saw timed calls of it. */
  readonly perWindow: number | undefined;
  /** Argument fields (JSON pointers) whose values form a stable set, with that set (`kind:value` keys). */
  readonly pointers: ReadonlyMap<string, ReadonlySet<string>>;
  /** The largest result size learned, when results were. */
  readonly resultMax: number | undefined;
}

/** An agent profile compiled into maps and sets. */
export interface CompiledAgent {
  readonly tools: ReadonlyMap<string, CompiledTool>;
  readonly transitions: ReadonlyMap<string, ReadonlySet<string>>;
  readonly values: ReadonlySet<string>;
  /** Side-effect tool to the read tools seen before it in a session. */
  readonly flows: ReadonlyMap<string, ReadonlySet<string>>;
  /** Timed calls the profile holds, calls per UTC hour, window length. */
  readonly timed: number;
  readonly hours: readonly number[];
  readonly windowMs: number;
  /** A short list of the agent's tools, for evidence. */
  readonly toolList: string;
}

/** A short, bounded list for evidence strings. */
export function shortList(names: readonly string[], max = 8): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length})` : names.join(', ');
}

/** Compiles one agent's profile into lookup structures, once, when the detector is created. */
export function compileAgent(agent: AgentProfile, pointerMinSeen: number): CompiledAgent {
  const tools = new Map<string, CompiledTool>();
  for (const [name, t] of Object.entries(agent.tools)) {
    const pointers = new Map<string, ReadonlySet<string>>();
    for (const [pointer, p] of Object.entries(t.pointers ?? {})) {
      // Stable: seen often enough, and every value on average at least twice.
      if (p.values !== null && p.seen >= pointerMinSeen && p.values.length * 2 <= p.seen) {
        pointers.set(pointer, new Set(p.values));
      }
    }
    tools.set(name, {
      pointers,
      resultMax: t.resultSize?.max,
      sideEffect: t.sideEffect,
      maxPerSession: t.maxPerSession,
      argLength: new Map(Object.entries(t.argLength)),
      perWindow: agent.timing.perWindow[name],
    });
  }
  const transitions = new Map<string, ReadonlySet<string>>();
  for (const [from, row] of Object.entries(agent.transitions)) transitions.set(from, new Set(Object.keys(row)));
  const values = new Set<string>();
  for (const [kind, list] of Object.entries(agent.values)) for (const v of list ?? []) values.add(`${kind}:${v}`);
  for (const [kind, list] of Object.entries(agent.environment)) for (const v of list ?? []) values.add(`${kind}:${v}`);
  const flows = new Map<string, ReadonlySet<string>>();
  for (const [sink, sources] of Object.entries(agent.flows)) flows.set(sink, new Set(sources));
  return {
    tools,
    transitions,
    values,
    flows,
    timed: agent.timing.calls,
    hours: agent.timing.hours,
    windowMs: agent.timing.windowMs,
    toolList: shortList([...tools.keys()]),
  };
}
