/**
 * `pnpm bench`: runs every packages/<pkg>/bench/*.bench.ts (each exports
 * `run(): Promise<BenchResult[]>`), prints the results and writes them, with the
 * machine they came from, to docs/benchmarks.md. Pass package names to run a subset:
 * `pnpm bench identity audit`.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './bench-kit.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
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
const sections: string[] = [];
for (const file of files) {
  const name = relative(root, file);
  process.stdout.write(`\n${name}\n`);
  const mod = (await import(pathToFileURL(file).href)) as { run: () => Promise<BenchResult[]> };
  const results = await mod.run();
  const rows = results.map((r) => {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x ${r.baseline ?? ''}`.trim();
    process.stdout.write(`  ${r.name.padEnd(56)} ${fmt(r.opsPerSec).padStart(14)} ops/s  ${ratio}\n`);
    return `| ${r.name} | ${fmt(r.opsPerSec)} | ${ratio} | ${r.note ?? ''} |`;
  });
  sections.push(
    `## ${name}\n\n| case | ops/s | ratio to baseline | note |\n| --- | ---: | --- | --- |\n${rows.join('\n')}\n`,
  );
}

if (only.length === 0) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
  const doc = `# Benchmarks\n\nWritten by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}.\n\nMachine: ${machine}.\n\nRatios compare against a baseline measured in the same run, so they carry across machines better than the raw numbers.\n\n${sections.join('\n')}`;
  writeFileSync(join(root, 'docs', 'benchmarks.md'), doc);
  process.stdout.write('\nwrote docs/benchmarks.md\n');
}
