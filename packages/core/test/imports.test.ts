/**
 * The shape of core's own module graph: no import cycles (type-only ones included), and types.ts, which every
 * step of the call pipeline imports, imports no step of it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../src/', import.meta.url);
const modules = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const imports = new Map(
  modules.map((f) => {
    const source = readFileSync(new URL(f, dir), 'utf8');
    return [f, [...source.matchAll(/from '\.\/([\w-]+)\.js'/g)].map((m) => `${m[1]}.ts`)] as const;
  }),
);

function cycleFrom(start: string): string[] | undefined {
  const stack: string[] = [];
  const done = new Set<string>();
  const visit = (node: string): string[] | undefined => {
    if (stack.includes(node)) return [...stack.slice(stack.indexOf(node)), node];
    if (done.has(node)) return undefined;
    stack.push(node);
    for (const next of imports.get(node) ?? []) {
      const found = visit(next);
      if (found !== undefined) return found;
    }
    stack.pop();
    done.add(node);
    return undefined;
  };
  return visit(start);
}

describe("core's module graph", () => {
  it('has no import cycle', () => {
    for (const module of modules) expect(cycleFrom(module), module).toBeUndefined();
  });

  it('keeps types.ts to type-only imports of modules outside the call pipeline', () => {
    const source = readFileSync(new URL('types.ts', dir), 'utf8');
    for (const line of source.split('\n').filter((l) => l.startsWith('import '))) {
      expect(line).toMatch(/^import type /);
    }
    const pipeline = ['call.ts', 'check.ts', 'refuse.ts', 'prepare.ts', 'envelope.ts', 'records.ts', 'guard.ts'];
    for (const step of pipeline) expect(imports.get('types.ts')).not.toContain(step);
  });
});
