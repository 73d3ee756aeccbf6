/**
 * docs/benchmarks.md as sections, one per bench file (`## packages/<pkg>/bench/<name>.bench.ts`), each
 * stamped with the date and machine it was measured on. `pnpm bench core` replaces the sections it ran
 * and keeps the others, so a page assembled from several runs says where each number came from.
 */

/** The page's heading and preamble, written above the sections. */
export const PREAMBLE =
  '# Benchmarks\n\nWritten by `pnpm bench` (`pnpm bench <package>…` rewrites only the sections of those packages). ' +
  'Each section names the day and machine it was measured on; sections from different runs are not comparable ' +
  'number for number.\n\nRatios compare against a baseline measured in the same run, so they carry across machines ' +
  'better than the raw numbers.\n\nBenches run the TypeScript sources compiled by esbuild as tsup compiles the published ' +
  'packages (names not kept), so they time the code users run. Sections measured before 2026-12-03 ran the sources ' +
  'through tsx, which wraps every function made at run time in a `__name` call; their per-call numbers carry that cost.\n';

/** A section's heading line for a bench file path (relative to the repo root). */
export const heading = (file: string): string => `## ${file}`;

/**
 * Splits a page into its sections by `## ` heading (the heading's text is the key). Text above the first
 * section (the old preamble) is dropped: the preamble is always {@link PREAMBLE}.
 */
export function parseSections(page: string): Map<string, string> {
  const sections = new Map<string, string>();
  let key: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (key !== undefined) sections.set(key, `${lines.join('\n').trimEnd()}\n`);
  };
  for (const line of page.split('\n')) {
    if (line.startsWith('## ')) {
      flush();
      key = line.slice(3).trim();
      lines = [line];
    } else if (key !== undefined) {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

/**
 * The page after a run: `fresh` sections (keyed by bench file) replace their namesakes; the others are kept
 * unless `complete` (a full run, which also drops sections of bench files that no longer exist). Sections
 * are ordered by file path, as the runner visits them.
 */
export function mergeSections(page: string, fresh: ReadonlyMap<string, string>, complete: boolean): string {
  const merged = complete ? new Map<string, string>() : stampKept(page, parseSections(page));
  for (const [file, text] of fresh) merged.set(file, text);
  const ordered = [...merged.keys()].sort().map((file) => merged.get(file) as string);
  return `${PREAMBLE}\n${ordered.join('\n')}`;
}

/** The stamp line a section starts with. */
export const stamp = (day: string, machine: string): string => `Measured on ${day}; machine: ${machine}.`;

/**
 * Sections written before sections carried their own stamp share the page's one date and machine line
 * (`Written by \`pnpm bench\` on <day>.` / `Machine: <machine>.`): each such section gets that stamp, so it
 * stays honest about where it came from once sections of later runs sit beside it.
 */
function stampKept(page: string, sections: Map<string, string>): Map<string, string> {
  const day = /^Written by `pnpm bench` on (\d{4}-\d{2}-\d{2})\.$/m.exec(page)?.[1];
  const machine = /^Machine: (.+)\.$/m.exec(page)?.[1];
  if (day === undefined || machine === undefined) return sections;
  for (const [file, text] of sections) {
    if (/^Measured on /m.test(text)) continue;
    const [head, ...rest] = text.split('\n');
    sections.set(file, [head, '', stamp(day, machine), ...rest].join('\n'));
  }
  return sections;
}
