/** Most runs a finding lists; the rest is counted, so a report stays small whatever the log's size. */
export const MAX_RUNS = 64;

/**
 * Sequence numbers as sorted runs (`"3"`, `"5-9"`), at most {@link MAX_RUNS} of them, then
 * `"+N more"` for the records left out.
 */
export function seqRanges(seqs: Iterable<number>): string[] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const runs: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number;
    i += 1;
    if (runs.length === MAX_RUNS) {
      const rest = sorted.length - sorted.indexOf(start);
      runs.push(`+${rest} more`);
      break;
    }
    runs.push(start === end ? String(start) : `${start}-${end}`);
  }
  return runs;
}
