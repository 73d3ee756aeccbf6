/**
 * Detection quality on the AgentDojo-derived dev split, as `agentguard profile evaluate` computes it: profiles
 * learned from train only, every dev session replayed through the online detector, predictions scored by the
 * dataset's own `score.py` (session-level precision, recall, false-positive rate, share of attacks flagged at or
 * before their first malicious side effect). Also run with every attacker value replaced by fresh ones, so a
 * detector that memorised them would show it. Speed is reported as sessions evaluated per second.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../../../.config/bench-kit.js';
import { evaluateFiles } from '../src/node.js';

const dir = new URL('../test/datasets/agentdojo-traces/', import.meta.url).pathname;

/** Runs score.py on a predictions file; its summary line, or why it could not run. */
function scorePy(predictions: string, gold: string): string {
  try {
    const out = execFileSync('python3', [join(dir, 'score.py'), predictions, gold], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.startsWith('precision='));
    if (line === undefined) throw new Error('score.py printed no summary');
    return `score.py: ${line.replace(/ \(.*$/, '')}`;
  } catch (e) {
    return `score.py did not run (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'agentguard-quality-'));
  try {
    const fresh = readFileSync(join(dir, 'dev.jsonl'), 'utf8')
      .replaceAll('US133000000121212121212', 'DE44500105175407324931')
      .replaceAll('mark.black-2134@gmail.com', 'zoe.quinn-7781@proton.example.com')
      .replaceAll('jay@google.com', 'kim@mailbox.example.org')
      .replaceAll('secure-systems-252.com', 'login-check-9931.net')
      .replaceAll('true-informations.com', 'daily-facts-online.org');
    writeFileSync(join(work, 'dev-fresh.jsonl'), fresh);
    const results: BenchResult[] = [];
    for (const [name, sessions] of [
      ['dev split, learned on train only', join(dir, 'dev.jsonl')],
      ['dev split with fresh attacker values', join(work, 'dev-fresh.jsonl')],
    ] as const) {
      const out = join(work, 'predictions.jsonl');
      const t0 = performance.now();
      const { predictions } = await evaluateFiles({ train: join(dir, 'train.jsonl'), sessions, out });
      const secs = (performance.now() - t0) / 1000;
      results.push({
        name: `detection quality: ${name}`,
        opsPerSec: predictions.length / secs,
        note: `${scorePy(out, sessions)}; ops = sessions learned + replayed per second`,
      });
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
