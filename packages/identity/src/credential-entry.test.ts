import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = dirname(fileURLToPath(import.meta.url));

/** Every module the main entry reaches through static relative imports, by its path under src/. */
function reachable(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    const key = relative(src, file);
    if (seen.has(key)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(key, text);
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from '(\.{1,2}\/[^']+)\.js';/gms)) {
      visit(join(dirname(file), `${m[1]}.ts`));
    }
  };
  visit(join(src, entry));
  return seen;
}

describe('entry points', () => {
  it('the main entry reaches no static node: import (it must run in browsers and edge runtimes)', () => {
    const files = reachable('index.ts');
    expect(files.has('credential/credential.ts')).toBe(true);
    expect(files.has('delegation/chain.ts')).toBe(true);
    for (const [file, text] of files) {
      const nodeImports = [...text.matchAll(/^import(?!\s+type)\b[^;]*?from '(node:[^']+)';/gms)].map((m) => m[1]);
      expect(nodeImports, file).toEqual([]);
    }
    expect(files.has('keystore/file.ts')).toBe(false);
    expect(files.has('signer/server.ts')).toBe(false);
  });

  it('the node entry carries the Node-bound parts', async () => {
    const node = await import('./node.js');
    expect(Object.keys(node).sort()).toEqual(
      [
        'connectSigner',
        'identityFromEnv',
        'listenSigner',
        'loadKeyFile',
        'loadOrCreateIdentity',
        'revocationFile',
        'saveKeyFile',
        'serveSigner',
        'startSigningThread',
      ].sort(),
    );
  });
});
