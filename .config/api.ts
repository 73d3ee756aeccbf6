/**
 * `pnpm api` writes one API report per entry point of every published package, from the built type declarations
 * (what users actually get), to packages/<pkg>/api/<entry>.api.md. `pnpm api:check` writes nothing and exits 1,
 * printing the diff, when a surface differs from its committed report (or a report exists for an entry point
 * that no longer does). Either first rebuilds a package whose dist is missing or older than its sources, so a
 * stale build can never pass as the current surface. Offline and deterministic: API Extractor sorts what it
 * prints and the reports carry no dates or paths.
 *
 * Pass package folder names to work on a subset: `pnpm api policy audit`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
} from '@microsoft/api-extractor';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((a) => !a.startsWith('--'));

interface Entry {
  /** Report name: `index` for `.`, else the subpath without `./` and with `/` as `-`. */
  name: string;
  /** Absolute path of the entry's built declaration file. */
  dts: string;
}
interface Pkg {
  dir: string;
  folder: string;
  name: string;
  entries: Entry[];
}

type ExportTarget = string | { types?: string } | undefined;

/** Every non-private package with at least one typed entry point, in folder order. */
function publishedPackages(): Pkg[] {
  const pkgs: Pkg[] = [];
  for (const folder of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', folder);
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string;
      private?: boolean;
      exports?: Record<string, ExportTarget>;
    };
    if (json.private === true) continue;
    const entries: Entry[] = [];
    for (const [subpath, target] of Object.entries(json.exports ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (typeof target !== 'object' || target.types === undefined) continue;
      const name = subpath === '.' ? 'index' : subpath.replace(/^\.\//, '').replaceAll('/', '-');
      entries.push({ name, dts: join(dir, target.types) });
    }
    if (entries.length > 0) pkgs.push({ dir, folder, name: json.name, entries });
  }
  return pkgs;
}

/** Newest modification time of any file under `dir` (0 when absent). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const item of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (item.isFile()) max = Math.max(max, statSync(join(item.parentPath, item.name)).mtimeMs);
  }
  return max;
}

/** True when some entry's declaration file is missing or older than the package's sources or build settings. */
function stale(pkg: Pkg): boolean {
  const inputs = Math.max(
    newest(join(pkg.dir, 'src')),
    statSync(join(pkg.dir, 'package.json')).mtimeMs,
    existsSync(join(pkg.dir, 'tsup.config.ts')) ? statSync(join(pkg.dir, 'tsup.config.ts')).mtimeMs : 0,
  );
  return pkg.entries.some((e) => !existsSync(e.dts) || statSync(e.dts).mtimeMs < inputs);
}

/** Compiler settings for reading built declarations: no source condition, so our other packages resolve to their
 * published types and appear in a report as imports, never inlined. */
const tsconfig = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  },
};

const all = publishedPackages();
const pkgs = only.length === 0 ? all : all.filter((p) => only.includes(p.folder));
// A report names our other packages' types by import, so their declarations must exist (not be current).
const toBuild = all.filter((p) => (pkgs.includes(p) ? stale(p) : p.entries.some((e) => !existsSync(e.dts))));
if (toBuild.length > 0) {
  process.stdout.write(`building ${toBuild.map((p) => p.name).join(', ')} (dist missing or older than src)\n`);
  const filters = toBuild.flatMap((p) => ['--filter', p.name]);
  execFileSync('pnpm', [...filters, 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

const quiet = new Set(['console-api-report-copied', 'console-api-report-created', 'console-preamble']);
const tempRoot = join(root, 'node_modules', '.cache', 'agentguard-api');
let failed = 0;
let changed = 0;
for (const pkg of pkgs) {
  const reportFolder = join(pkg.dir, 'api');
  mkdirSync(reportFolder, { recursive: true });
  const expected = new Set(pkg.entries.map((e) => `${e.name}.api.md`));
  for (const file of readdirSync(reportFolder).sort()) {
    if (!file.endsWith('.api.md') || expected.has(file)) continue;
    const shown = relative(root, join(reportFolder, file));
    if (check) {
      process.stdout.write(`${shown}: no such entry point any more; run pnpm api\n`);
      failed++;
    } else {
      rmSync(join(reportFolder, file));
      process.stdout.write(`${shown}: removed (no such entry point)\n`);
      changed++;
    }
  }
  // One compiler program per package serves all its entry points.
  let compilerState: CompilerState | undefined;
  for (const entry of pkg.entries) {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: pkg.dir,
        mainEntryPointFilePath: entry.dts,
        bundledPackages: [],
        newlineKind: 'lf',
        compiler: { overrideTsconfig: { ...tsconfig, files: pkg.entries.map((e) => e.dts) } },
        apiReport: {
          enabled: true,
          reportFileName: entry.name,
          reportFolder,
          reportTempFolder: join(tempRoot, relative(join(root, 'packages'), pkg.dir)),
          // A type reachable only through an export (a zod-inferred record, say) is surface too: printed in full, and
          // without `export`, so the report shows what users can reach as well as what they can import.
          includeForgottenExports: true,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
          extractorMessageReporting: {
            default: { logLevel: ExtractorLogLevel.Error },
            // Release tags (@public/@beta) are not how this project marks stability: everything exported is public.
            'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
            // Documentation is checked where it is written; a subpath cannot resolve links to its root entry.
            'ae-undocumented': { logLevel: ExtractorLogLevel.None },
            'ae-unresolved-link': { logLevel: ExtractorLogLevel.None },
            // Our inputs are always built .d.ts files; this fires only for a dependency that ships .ts as its types
            // (@langchain/protocol does), which is not ours to report.
            'ae-wrong-input-file-type': { logLevel: ExtractorLogLevel.None },
            // A type used by an export but not exported by this entry point (a zod schema behind an inferred type, or
            // a type another entry point of the package exports): printed in full without `export`, see above.
            'ae-forgotten-export': { logLevel: ExtractorLogLevel.None },
          },
          // Comment syntax is not the surface; the TSDoc checks belong to lint, not to this report.
          tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: join(pkg.dir, 'package.json'),
    });
    compilerState ??= CompilerState.create(config, { additionalEntryPoints: pkg.entries.map((e) => e.dts) });
    const result = Extractor.invoke(config, {
      compilerState,
      localBuild: !check,
      printApiReportDiff: check,
      messageCallback: (message: ExtractorMessage) => {
        // The report's own "changed"/"created" notices are summarised below; everything else is printed as is.
        if (quiet.has(message.messageId)) {
          message.handled = true;
        }
      },
    });
    const reportPath = join(reportFolder, `${entry.name}.api.md`);
    const shown = relative(root, reportPath);
    if (!result.succeeded) {
      failed++;
      const why = !existsSync(reportPath)
        ? 'missing'
        : check && result.apiReportChanged
          ? 'differs from the surface'
          : 'failed';
      process.stdout.write(`${shown}: ${why}\n`);
    } else if (result.apiReportChanged) {
      changed++;
      process.stdout.write(`${shown}: updated\n`);
    }
  }
}

const count = pkgs.reduce((n, p) => n + p.entries.length, 0);
if (failed > 0) {
  process.stdout.write(
    check
      ? `\n${failed} API report problem(s) over ${count} entry points. If the change is intended, run \`pnpm api\` and commit the reports.\n`
      : `\n${failed} API report problem(s) over ${count} entry points.\n`,
  );
  process.exit(1);
}
process.stdout.write(`${count} API reports ${check ? 'match' : `written (${changed} changed)`}\n`);
