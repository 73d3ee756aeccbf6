/**
 * Redaction cost: a typical 1 KB tool-args object per second against
 * canonicalising the same object (what every record costs anyway), in the same
 * run; and adversarial strings at 16 and 64 KiB, whose time ratio shows that
 * scanning grows linearly (about 4x for 4x the text), not quadratically.
 */
import { canonicalize } from '@agentguard/statement';
import { createRedactor } from '../src/index.js';
import type { BenchResult } from '../../../.config/bench-kit.js';

function rate(ms: number, body: () => void): number {
  // Warm up: 200 runs or 100 ms, whichever comes first.
  const warm = performance.now();
  for (let i = 0; i < 200 && performance.now() - warm < 100; i++) body();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    body();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** About 1 KB of canonical JSON: the args of a typical tool call, nothing to redact. */
const ARGS = {
  to: ['team-lead', 'ops-oncall'],
  subject: 'Weekly report: deployment status and open incidents',
  body:
    'Hello team, the rollout of version 4.2.1 finished at 14:05 UTC on 2026-01-15. Two incidents remain open ' +
    '(INC-20931 and INC-20944); both are waiting on the vendor. Error rates are back under 0.1% and latency ' +
    'p99 is 210 ms. Next steps: finish the database migration, rotate the staging credentials, review the ' +
    'alert thresholds with the SRE group on Thursday. Dashboards: https://grafana.internal/d/abc123/overview',
  priority: 'normal',
  attachments: [{ name: 'report-2026-01-15.pdf', sizeBytes: 482113, sha256: 'e3b0c44298fc1c149afbf4c8996fb924' }],
  options: { trackOpens: false, sendAt: null, retries: 3, tags: ['weekly', 'ops', 'automated'] },
};

/** The same shape with personal data and a credential in it. */
const ARGS_WITH_SECRETS = {
  ...ARGS,
  to: ['ada@example.com', 'bob.smith@example.org'],
  body: `${ARGS.body} Call me at +44 20 7946 0958. DB: postgres://app:Xj92zGkPC5x2@db.internal/prod`,
};

export async function run(): Promise<BenchResult[]> {
  const redactor = createRedactor();
  const bytes = canonicalize(ARGS).length;
  const canonical = rate(500, () => canonicalize(ARGS));
  const clean = rate(500, () => redactor.redact(ARGS));
  const dirty = rate(500, () => redactor.redact(ARGS_WITH_SECRETS));
  const fields = ['/attachments', '/options/tags'];
  const withFields = rate(500, () => redactor.redact(ARGS, { fields }));
  const results: BenchResult[] = [
    { name: `canonicalize ${bytes} B tool args`, opsPerSec: canonical },
    {
      name: `redact ${bytes} B tool args (nothing found)`,
      opsPerSec: clean,
      baseline: 'canonicalize of the same object',
      ratio: canonical / clean,
      note: `${(1e6 / clean).toFixed(1)} µs per call; ratio = how many times slower than canonicalize`,
    },
    {
      name: 'redact tool args with 2 emails, a phone and a URL password',
      opsPerSec: dirty,
      baseline: 'canonicalize of the same object',
      ratio: canonical / dirty,
      note: `${(1e6 / dirty).toFixed(1)} µs per call (HMAC per finding)`,
    },
    {
      name: 'redact tool args with 2 policy fields',
      opsPerSec: withFields,
      baseline: 'canonicalize of the same object',
      ratio: canonical / withFields,
    },
  ];

  // Text built to make backtracking patterns work hardest: long runs of characters
  // that start candidates (local parts, digits, base64url, header prefixes) but never complete.
  const adversarial: Record<string, (n: number) => string> = {
    'email-like runs': (n) => 'a.a@'.repeat(n / 4),
    'digit runs with separators': (n) => '41 '.repeat(Math.ceil(n / 3)).slice(0, n),
    'JWT-like segments': (n) => 'eyJ-'.repeat(n / 4),
    'URL schemes without userinfo': (n) => 'a://b:'.repeat(n / 6),
    'PEM headers without footers': (n) => '-----BEGIN PRIVATE KEY-----'.repeat(Math.ceil(n / 27)).slice(0, n),
  };
  for (const [label, make] of Object.entries(adversarial)) {
    const small = make(16 * 1024);
    const large = make(64 * 1024);
    const r = createRedactor({ maxStringLength: 64 * 1024 });
    const smallRate = rate(300, () => r.redact(small));
    const largeRate = rate(300, () => r.redact(large));
    results.push({
      name: `redact 64 KiB of ${label}`,
      opsPerSec: largeRate,
      baseline: 'the same text at 16 KiB (4x = linear)',
      ratio: smallRate / largeRate,
      note: `${((64 / 1024) * largeRate).toFixed(1)} MiB/s`,
    });
  }
  return results;
}
