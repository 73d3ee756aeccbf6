/**
 * `pnpm bench`: runs every packages/<pkg>/bench/*.bench.ts (each exports
 * `run(): Promise<BenchResult[]>`), prints the results and writes them to docs/benchmarks.md, one section
 * per bench file stamped with the day and machine it ran on. Pass package names to run a subset
 * (`pnpm bench identity audit`): only their sections are replaced, the others kept as they were.
 * `--no-write` prints without touching the page. Each bench file runs in a process of its own, so no bench
 * times the garbage (or the warmed-up code) another left behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './bench-kit.js';
import { heading, mergeSections, stamp } from './bench-doc.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// Child mode: run one bench file and write its results as JSON (`--one <file> <out.json>`).
if (process.argv[2] === '--one') {
  const [file, out] = process.argv.slice(3) as [string, string];
  const mod = (await import(pathToFileURL(file).href)) as { run: () => Promise<BenchResult[]> };
  writeFileSync(out, JSON.stringify(await mod.run()));
  process.exit(0);
}

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const write = !flags.includes('--no-write');
const files: string[] = [];
for (const pkg of readdirSync(join(root, 'packages')).sort()) {
  if (only.length > 0 && !only.includes(pkg)) continue;
  const dir = join(root, 'packages', pkg, 'bench');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    continue;
  }
  for (const f of entries.sort()) if (f.endsWith('.bench.ts')) files.push(join(dir, f));
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
const sections = new Map<string, string>();
const scratch = mkdtempSync(join(tmpdir(), 'agentguard-bench-'));
for (const file of files) {
  const name = relative(root, file);
  process.stdout.write(`\n${name}\n`);
  const out = join(scratch, 'results.json');
  rmSync(out, { force: true });
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', file, out], {
    stdio: 'inherit',
  });
  if (child.status !== 0 || !existsSync(out)) throw new Error(`${name} failed (exit ${String(child.status)})`);
  const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResult[];
  const rows = results.map((r) => {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x ${r.baseline ?? ''}`.trim();
    process.stdout.write(`  ${r.name.padEnd(56)} ${fmt(r.opsPerSec).padStart(14)} ops/s  ${ratio}\n`);
    return `| ${r.name} | ${fmt(r.opsPerSec)} | ${ratio} | ${r.note ?? ''} |`;
  });
  // The load when the file finished: on a shared machine it says how much the numbers can be trusted.
  const load = `${machine}, load average ${loadavg()[0]?.toFixed(1) ?? 'unknown'} (1 min)`;
  sections.set(
    name,
    `${heading(name)}\n\n${stamp(new Date().toISOString().slice(0, 10), load)}\n\n| case | ops/s | ratio to baseline | note |\n| --- | ---: | --- | --- |\n${rows.join('\n')}\n`,
  );
}
rmSync(scratch, { recursive: true, force: true });

if (write) {
  const path = join(root, 'docs', 'benchmarks.md');
  const page = existsSync(path) ? readFileSync(path, 'utf8') : '';
  writeFileSync(path, mergeSections(page, sections, only.length === 0));
  process.stdout.write(`\nwrote ${[...sections.keys()].length} section(s) of docs/benchmarks.md\n`);
}
