/**
 * Builds the viewer: one self-contained HTML file (script, worker and styles inlined) that works offline
 * from file://. esbuild bundles `@agentguard/audit` and `@agentguard/identity` from source for the
 * browser (no node: module may be reachable: platform 'browser' fails the build if one is). The worker
 * is bundled first and inlined into the page's script as a string, started as a blob: worker.
 *
 * A Content-Security-Policy pins the inline script and style by hash and allows no network at all
 * (`connect-src 'self'` only, for `serveViewer`'s own log): no data leaves the page.
 *
 * Usage: node --conditions @agentguard/source --import tsx scripts/build-html.ts <out.html>
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'browser');

async function bundle(entry: string, define: Record<string, string> = {}): Promise<string> {
  const result = await build({
    entryPoints: [join(src, entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    conditions: ['@agentguard/source'],
    minify: true,
    legalComments: 'none',
    define,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return file.text;
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
// Inline code must not close its own element early.
const safe = (code: string) => code.replaceAll('</', '<\\/');

/**
 * Builds the page.
 *
 * @returns the HTML text.
 */
export async function buildViewerHtml(): Promise<string> {
  const worker = await bundle('worker.ts');
  const script = safe(await bundle('app.ts', { __AGENTGUARD_WORKER__: JSON.stringify(worker) }));
  const style = readFileSync(join(src, 'style.css'), 'utf8');
  const body = readFileSync(join(src, 'page.html'), 'utf8');
  const csp = [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    'worker-src blob:',
    `style-src ${hash(style)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AgentGuard audit log viewer</title>
<style>${style}</style>
</head>
<body>
${body}
<script>${script}</script>
</body>
</html>
`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? 'dist/viewer.html';
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await buildViewerHtml());
}
