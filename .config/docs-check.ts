/**
 * Type-checks every fenced TypeScript block (```ts / ```typescript) in the READMEs and docs/, so a snippet a
 * reader pastes compiles as written. Each block is its own module, checked with the repository's strict settings,
 * imports resolved to the packages' source (the `@agentguard/source` condition) as they would be in a project
 * that installed them.
 *
 * A block that is deliberately not standalone (a shape, a signature, a continuation of the block before it) says so
 * in its info string: ```ts fragment. Those are skipped by name and listed in the output, so they stay few.
 *
 * Usage: node --import tsx .config/docs-check.ts [--list]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'api', 'coverage', '.changeset', 'datasets', 'vectors']);

/** One fenced block lifted out of a Markdown file. */
export interface Snippet {
  /** Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** True when the info string carries the `fragment` marker. */
  readonly fragment: boolean;
}

/** Every ```ts / ```typescript block of one Markdown text, fragments included (flagged). */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)(?:\s+(.*))?$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const indent = open[1] ?? '';
    const fence = open[2] ?? '```';
    const info = (open[4] ?? '').trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trim().startsWith(fence) && l.trim().replaceAll(fence[0] ?? '`', '') === '') break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l);
    }
    out.push({ file, line: i + 1, code: body.join('\n'), fragment: info.includes('fragment') });
    i = j;
  }
  return out;
}

/** README.md files everywhere and every .md under docs/, without generated or vendored trees. */
export function markdownFiles(dir = root): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...markdownFiles(path));
    else if (name === 'README.md' || (name.endsWith('.md') && relative(root, path).startsWith('docs/'))) {
      found.push(path);
    }
  }
  return found.sort();
}

function compilerOptions(): ts.CompilerOptions {
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, root);
  return { ...parsed.options, noEmit: true, declaration: false, sourceMap: false, noUnusedLocals: false };
}

// A snippet resolves its imports the way a user's project would: the package the README belongs to first, then
// any workspace package that has the dependency installed (docs/ and the root README have no package of their own).
function packageDirs(): string[] {
  const dirs: string[] = [];
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group)).sort()) dirs.push(join(root, group, name));
  }
  return dirs;
}

/** Type-checks the snippets; returns the diagnostics as printable lines (empty when all compile). */
export function checkSnippets(snippets: readonly Snippet[]): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const virtual = new Map<string, Snippet>();
  const dirs = packageDirs();
  snippets.forEach((s, n) => {
    const mdDir = dirname(join(root, s.file));
    const home = dirs.find((d) => mdDir === d || mdDir.startsWith(`${d}/`)) ?? join(root, 'packages', 'core');
    // `export {}` keeps each block a module of its own, so two blocks may declare the same names.
    virtual.set(join(home, `__snippet_${n}.ts`), { ...s, code: `${s.code}\nexport {};\n` });
  });
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => virtual.get(f)?.code ?? readFile(f);
  host.fileExists = (f) => virtual.has(f) || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) => {
    const v = virtual.get(f);
    return v === undefined ? getSourceFile(f, lang, onError, create) : ts.createSourceFile(f, v.code, lang, true);
  };
  const cache = ts.createModuleResolutionCache(root, (x) => x, options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirect, opts, sourceFile) =>
    literals.map((lit) => {
      const name = lit.text;
      const mode = ts.getModeForUsageLocation(sourceFile, lit, opts);
      const first = ts.resolveModuleName(name, containingFile, opts, host, cache, redirect, mode);
      if (first.resolvedModule !== undefined || !virtual.has(containingFile)) return first;
      for (const d of dirs) {
        const r = ts.resolveModuleName(name, join(d, '__probe.ts'), opts, host, cache, redirect, mode);
        if (r.resolvedModule !== undefined) return r;
      }
      return first;
    });
  const program = ts.createProgram([...virtual.keys()], options, host);
  const out: string[] = [];
  for (const [path, s] of virtual) {
    const sf = program.getSourceFile(path);
    if (sf === undefined) continue;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const pos = d.start === undefined ? undefined : sf.getLineAndCharacterOfPosition(d.start);
      const at = pos === undefined ? s.line : s.line + 1 + pos.line;
      out.push(`${s.file}:${at}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return out;
}

/**
 * The `@agentguard/*` packages a README's checked blocks import that its install line (`npm install …`,
 * `pnpm add …`) leaves out: a reader who runs that line and pastes a block must get every package it imports.
 * READMEs without an install line (the root one, examples) are not checked.
 */
export function missingInstalls(markdown: string, snippets: readonly Snippet[]): string[] {
  const installs = [...markdown.matchAll(/^\s*(?:npm (?:install|i)|pnpm add)\s+(?!-g\b)(.*)$/gm)].map(
    (m) => m[1] ?? '',
  );
  if (installs.length === 0) return [];
  const listed = new Set(installs.flatMap((l) => l.split('#')[0]?.trim().split(/\s+/) ?? []));
  const imported = new Set<string>();
  for (const s of snippets) {
    for (const m of s.code.matchAll(/from\s+'(@agentguard\/[^/']+)[^']*'/g)) imported.add(m[1] ?? '');
  }
  return [...imported].filter((name) => !listed.has(name)).sort();
}

/** Adapter sections (`### \`/<subpath>\``) of the adapters README that link no existing example under examples/. */
export function adapterSectionsWithoutExample(markdown: string): string[] {
  const sections = markdown.split(/^### /m).slice(1);
  return sections
    .filter((body) => body.startsWith('`/'))
    .filter((body) => {
      const linked = [...body.matchAll(/\]\(\.\.\/\.\.\/examples\/([\w-]+)\)/g)].map((m) => m[1] ?? '');
      return !linked.some((name) => existsSync(join(root, 'examples', name, 'package.json')));
    })
    .map((body) => body.split('\n')[0] ?? '');
}

function main(): void {
  const all = markdownFiles().flatMap((f) => extractSnippets(relative(root, f), readFileSync(f, 'utf8')));
  const fragments = all.filter((s) => s.fragment);
  const checked = all.filter((s) => !s.fragment);
  const errors = checkSnippets(checked);
  for (const f of markdownFiles().filter((p) => p.endsWith('README.md'))) {
    const file = relative(root, f);
    const missing = missingInstalls(
      readFileSync(f, 'utf8'),
      checked.filter((s) => s.file === file),
    );
    if (missing.length > 0) errors.push(`${file}: the install line leaves out ${missing.join(', ')}`);
  }
  const adapters = readFileSync(join(root, 'packages/adapters/README.md'), 'utf8');
  for (const h of adapterSectionsWithoutExample(adapters)) {
    errors.push(`packages/adapters/README.md: section ${h} links no runnable example (../../examples/<name>)`);
  }
  for (const f of fragments) console.log(`fragment (not checked): ${f.file}:${f.line}`);
  if (process.argv.includes('--list')) for (const s of checked) console.log(`checked: ${s.file}:${s.line}`);
  if (errors.length > 0) {
    console.error(errors.join('\n'));
    console.error(`\ndocs-check: ${errors.length} error(s) in ${checked.length} snippet(s)`);
    process.exit(1);
  }
  console.log(`docs-check: ${checked.length} snippet(s) compile, ${fragments.length} fragment(s) skipped`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(import.meta.url).pathname) main();
