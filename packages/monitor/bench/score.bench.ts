/**
 * Per-call cost of the online detector: every call of the dev split replayed through
 * `score()` (the hot path, before the tool runs), with the profile padded to 10,000 known
 * values, against a baseline measured in the same run (a bare tool-name Set lookup).
 * Also reports p50/p99 of single calls, and `observe()` (after the tool ran, off the hot path).
 */
import { readFileSync } from 'node:fs';
import { type BenchResult, percentile } from '../../../.config/bench-kit.js';
import { createDetector, type DetectorCall, learnProfile, parseCorpus, SCAN_LIMITS } from '../src/index.js';

const dir = new URL('../test/datasets/agentdojo-traces/', import.meta.url).pathname;

export async function run(): Promise<BenchResult[]> {
  const profile = learnProfile(parseCorpus(readFileSync(`${dir}train.jsonl`, 'utf8')));
  let entries = 0;
  for (const a of Object.values(profile.agents)) {
    for (let i = 0; i < 2500; i++) a.environment.email.push(`contact${i}@pad.example.com`);
    entries += Object.keys(a.tools).length + a.environment.email.length + a.values.email.length;
  }
  const sessions = parseCorpus(readFileSync(`${dir}dev.jsonl`, 'utf8'));
  const detector = createDetector(profile);
  const calls: { call: DetectorCall; result: unknown; first: boolean }[] = [];
  for (const s of sessions) {
    for (const [i, c] of s.calls.entries()) {
      calls.push({
        call: { agent: s.agent, session: s.id, tool: c.tool, args: c.args, sideEffect: c.sideEffect },
        result: c.result,
        first: i === 0,
      });
    }
  }
  const prompts = new Map(sessions.map((s) => [s.id, s.prompt]));
  const scoreNs: number[] = [];
  const observeNs: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (const { call, result, first } of calls) {
      if (first)
        detector.begin(call.session ?? '', { agent: call.agent, prompt: prompts.get(call.session ?? '') ?? '' });
      const t0 = process.hrtime.bigint();
      detector.score(call);
      const t1 = process.hrtime.bigint();
      detector.observe(call, result);
      const t2 = process.hrtime.bigint();
      if (round > 1) {
        scoreNs.push(Number(t1 - t0));
        observeNs.push(Number(t2 - t1));
      }
    }
  }
  scoreNs.sort((a, b) => a - b);
  observeNs.sort((a, b) => a - b);
  const known = new Set(Object.values(profile.agents).flatMap((a) => Object.keys(a.tools)));
  const baseNs: number[] = [];
  let sink = 0;
  for (let round = 0; round < 20; round++) {
    for (const { call } of calls) {
      const t0 = process.hrtime.bigint();
      if (known.has(call.tool)) sink++;
      baseNs.push(Number(process.hrtime.bigint() - t0));
    }
  }
  baseNs.sort((a, b) => a - b);
  const p50 = percentile(scoreNs, 0.5);
  const base = percentile(baseNs, 0.5);
  const note = `${entries} profile entries; p50 ${(p50 / 1000).toFixed(2)} µs, p99 ${(percentile(scoreNs, 0.99) / 1000).toFixed(2)} µs per call (incl. ~${(base / 1000).toFixed(2)} µs timer overhead)`;
  return [
    { name: 'baseline: tool-name Set lookup (timer overhead)', opsPerSec: 1e9 / base, note: `sink ${sink > 0}` },
    {
      name: 'detector.score, dev-split calls',
      opsPerSec: 1e9 / p50,
      baseline: 'baseline: tool-name Set lookup (timer overhead)',
      ratio: base / p50,
      note,
    },
    {
      name: 'detector.observe (after the call, off the hot path)',
      opsPerSec: 1e9 / percentile(observeNs, 0.5),
      note: `p50 ${(percentile(observeNs, 0.5) / 1000).toFixed(2)} µs, p99 ${(percentile(observeNs, 0.99) / 1000).toFixed(2)} µs`,
    },
    hostile(detector),
  ];
}

/** Worst case the scan bounds allow: a side-effect call whose args fill SCAN_LIMITS with text built to make a scanner backtrack. */
function hostile(detector: ReturnType<typeof createDetector>): BenchResult {
  const chunk = `${'a'.repeat(60)}.${'b'.repeat(60)}@${'c-'.repeat(30)} +4${'1 '.repeat(9)}`;
  const body = chunk.repeat(Math.ceil(SCAN_LIMITS.stringChars / chunk.length)).slice(0, SCAN_LIMITS.stringChars);
  const args = { to: 'x@y.example.com', a: body, b: body, c: body, d: body };
  const ns: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = process.hrtime.bigint();
    detector.score({ agent: 'workspace', session: `hostile-${i}`, tool: 'send_email', args, sideEffect: true });
    if (i > 4) ns.push(Number(process.hrtime.bigint() - t0));
  }
  ns.sort((a, b) => a - b);
  const p50 = percentile(ns, 0.5);
  return {
    name: 'detector.score, hostile 256 KiB side-effect args (worst case)',
    opsPerSec: 1e9 / p50,
    note: `p50 ${(p50 / 1e6).toFixed(2)} ms per call: the cost ceiling the scan bounds set`,
  };
}
