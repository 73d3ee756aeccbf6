import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

// Static `import ... from` / `export ... from` statements; `import type` and `export type` load nothing.
const STATEMENT = /^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)';/gms;

/** Bare package specifiers loaded at run time from `entry`, following relative imports. */
function runtimePackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(STATEMENT)) {
      const [, , typeOnly, clause = '', specifier = ''] = match;
      if (typeOnly !== undefined) continue;
      // `import { type A, type B } from` is type-only too.
      const names = clause
        .replace(/[{}]/g, '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (clause.startsWith('{') && names.every((n) => n.startsWith('type '))) continue;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else
        packages.add(
          specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? ''),
        );
    }
  };
  visit(entry);
  return packages;
}

const frameworks = [
  'langchain',
  '@langchain/core',
  '@langchain/langgraph',
  'openai',
  '@openai/agents',
  'ai',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/client',
  '@mastra/core',
];

describe('importing one adapter never loads another framework', () => {
  it.each([
    ['index', []],
    ['langchain/index', ['langchain', '@langchain/core', '@langchain/langgraph']],
    ['openai/index', []],
    ['openai-agents/index', ['@openai/agents']],
    ['ai-sdk/index', ['ai']],
    ['mcp/index', []],
    ['mastra/index', ['@mastra/core']],
  ])('%s loads only %j of the frameworks', (entry, allowed) => {
    const loaded = [...runtimePackages(resolve(src, `${entry}.ts`))];
    expect(loaded.filter((p) => frameworks.includes(p)).sort()).toEqual([...allowed].sort());
    expect(loaded.every((p) => p.startsWith('@agentguard/') || frameworks.includes(p))).toBe(true);
  });
});
