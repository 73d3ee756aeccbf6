/** Severities, lowest first. `info` never fails a run. */
export const SEVERITIES = Object.freeze(['info', 'low', 'medium', 'high', 'critical'] as const);

/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Whether `value` is one of {@link SEVERITIES}. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** Orders severities: positive when `a` is worse than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}

/** What a finding id means: its title, why it matters and how to fix it (the docs and SARIF rules read this). */
export interface FindingRule {
  readonly id: string;
  readonly title: string;
  readonly why: string;
  readonly fix: string;
}

const rule = (id: string, title: string, why: string, fix: string): FindingRule =>
  Object.freeze({ id, title, why, fix });

/** Every finding the assessment can report, by id. Ids are stable: new checks get new ids. */
export const FINDING_RULES = Object.freeze({
  'AG-POL-001': rule(
    'AG-POL-001',
    'Tool no rule mentions',
    'Deny by default refuses it, so either the tool is dead weight the agent can still be tricked into asking for, or a rule is missing and the agent fails in production.',
    'Remove the tool from the guard, or add a narrow allow (or require_approval) rule naming it.',
  ),
  'AG-POL-002': rule(
    'AG-POL-002',
    'Allow rule broader than the calls the log shows',
    'Rights granted but never used are what an injected prompt uses: least privilege means allowing what the agent does, not what it might do.',
    'Replace the rule with the narrower rules suggested (from `agentguard policy suggest`), after review.',
  ),
  'AG-TOOL-001': rule(
    'AG-TOOL-001',
    'High-risk tool runs without approval',
    'A payment, deletion or data export decided by the model alone is one injected instruction away from harm.',
    'Add a `require_approval` rule for the tool (or for `tiers: ["high", "critical"]`), and lift it only once the log shows approvals are always granted.',
  ),
  'AG-TOOL-002': rule(
    'AG-TOOL-002',
    'High-risk tool runs in the agent process',
    'In-process code shares the agent memory, keys and network: a compromised tool is a compromised agent.',
    'Run the tool with a sandbox runner of `@agentguard/sandbox` (`process` or `bwrap`) and require it with an `isolation` obligation.',
  ),
  'AG-TOOL-003': rule(
    'AG-TOOL-003',
    'High-risk tool fails open when the log cannot write',
    'With `auditFailure: "open"` a log outage turns into calls nobody can account for.',
    'Remove `auditFailure: "open"` from the tool (the default is closed).',
  ),
  'AG-TOOL-004': rule(
    'AG-TOOL-004',
    'Tool definition not pinned',
    'A tool whose name, description or schema can change unnoticed can be swapped for one that says something else to the model (tool poisoning).',
    'Pin the definitions with the guard `attestation` option (`agentguard attest --pin`) and set `onChange: "deny"`.',
  ),
  'AG-TOOL-005': rule(
    'AG-TOOL-005',
    'No rate limit on a payment or egress tool',
    'Without a limit, a loop or an attacker drains a budget or exfiltrates data as fast as the tool answers.',
    'Add a `limits` entry (rate, token bucket or budget) covering the tool.',
  ),
  'AG-TOOL-006': rule(
    'AG-TOOL-006',
    'Redaction off for a tool labelled with personal data',
    'The audit log then keeps personal data in clear, for as long as the log is kept, readable by everyone who can read it.',
    'Turn redaction back on (drop `redaction: false` from the guard), or mark the tool `sensitive` so only digests are logged.',
  ),
  'AG-ID-001': rule(
    'AG-ID-001',
    'Agent key is a local key file',
    'A key file on the agent host is readable by any code that runs there, including a compromised tool.',
    'Keep the key in a signer process (`agentguard signer serve`) so it never enters the agent.',
  ),
  'AG-ID-002': rule(
    'AG-ID-002',
    'Agent key lives in an environment variable',
    'Environment variables leak into child processes, crash reports and debugging output.',
    'Move the key to a signer process (`agentguard signer serve`).',
  ),
  'AG-ID-003': rule(
    'AG-ID-003',
    'Ephemeral agent identity',
    'A key made at start-up gives the agent a new identity each run: credentials, revocation and the log cannot follow it.',
    'Give the agent a persistent key held by a signer process, and a credential naming it.',
  ),
  'AG-MODE-001': rule(
    'AG-MODE-001',
    'Monitor or off mode left on',
    'Monitor mode records what would be denied and allows it: left on, the deployment has no enforcement at all.',
    'Review the would-deny records (`agentguard policy replay`), fix the policy, and switch to `enforce`.',
  ),
  'AG-AUD-001': rule(
    'AG-AUD-001',
    'Checkpoints never shipped to a witness',
    'A signed checkpoint kept only on the host proves nothing against whoever controls the host: they can rewrite the log and its checkpoints together.',
    'Enable checkpoints and ship them to a witness (another host, a transparency log) on a schedule.',
  ),
  'AG-REV-001': rule(
    'AG-REV-001',
    'Revocation list stale or without expiry',
    'A list that is old, expired or never expires lets a revoked key keep working, silently.',
    'Issue revocation lists with a `ttlMs` and refresh them well before they expire.',
  ),
  'AG-TREND-001': rule(
    'AG-TREND-001',
    'Denied-call rate changed sharply since the last assessment',
    'A jump means an agent is probing or the policy broke a workflow; a drop may mean a rule was widened.',
    'Read the denials since the last assessment (`agentguard audit query --type call.denied`) and explain the change.',
  ),
  'AG-TREND-002': rule(
    'AG-TREND-002',
    'Alert rate changed sharply since the last assessment',
    'The runtime monitor flags calls unlike the learned profile: a jump is the first sign of a hijacked agent.',
    'Read the `monitor.alert` records since the last assessment and re-learn the profile only once they are explained.',
  ),
} as const satisfies Record<string, FindingRule>);

/** A finding id. */
export type FindingId = keyof typeof FINDING_RULES;
