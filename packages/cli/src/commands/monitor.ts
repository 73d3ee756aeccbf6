import { resolve } from 'node:path';
import type { Profile } from '@agentguard/monitor';
import { followLog } from '@agentguard/monitor/node';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { printable } from '../output.js';
import { onePositional, parseTrust } from './audit-common.js';
import { alertLine, loadSignedProfile, table } from './monitor-common.js';
import { learnFromHead } from './monitor-learn.js';

const usage = `Usage: agentguard monitor <log> --profile <profile.json> --trust <did:key>... [--follow]
       agentguard monitor <log> (--learn-first <n> | --follow) [--alerts exclude|include]

Scores every call recorded in an audit log against a signed profile (verified
first) and prints each call that raised alerts, with its evidence, as it is read;
then a summary table per agent. With --follow it keeps reading appended records
(rotation and truncation are picked up) until Ctrl-C, then prints the table.
It displays; it does not verify the log's chain (use "agentguard verify").

Without --profile, the profile is learned from the head of the log itself and is
unsigned: from its first <n> call records (--learn-first), or with --follow and no
--learn-first from every record the log holds when the command starts. The
window's chain is checked; its calls are context, and only what follows it is
scored and reported. Whoever wrote the window shaped the profile: use it to try
monitoring out, and a signed --profile to rely on.

Options:
  --profile <file>          the signed profile (agentguard profile learn)
  --trust <did:key>         operator keys allowed to sign profiles (with --profile)
  --learn-first <n>         without --profile: learn from the first n call records
  --alerts exclude|include  without --profile: a learning window with monitor alerts
                            needs this decision (as in "profile learn")
  -f, --follow              keep following the log

Exit codes: 0 no call flagged; 1 a call was flagged, the profile does not verify, or
the log cannot be learned from; 2 usage.
`;

/** `--learn-first <n>`: a positive integer, or undefined when not given. */
function parseLearnFirst(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--learn-first expects a positive integer, got "${value.slice(0, 40)}"`);
  }
  return n;
}

/** `agentguard monitor <log> (--profile p.json --trust <did> | --learn-first n | --follow) [--follow]` */
export const monitorCommand: Command = {
  words: ['monitor'],
  summary:
    'Score a (live) audit log against a signed profile (or one learned from its head); print alerts and a per-agent table',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      profile: { type: 'string' },
      trust: { type: 'string', multiple: true },
      follow: { type: 'boolean', short: 'f' },
      'poll-ms': { type: 'string' },
      'learn-first': { type: 'string' },
      alerts: { type: 'string' },
    });
    const path = resolve(io.cwd, onePositional(positionals));
    const pollMs = values['poll-ms'] === undefined ? 250 : Number(values['poll-ms']);
    if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) {
      throw new UsageError('--poll-ms expects an integer from 10 to 60000');
    }
    const follow = values.follow === true;
    let profile: Profile;
    let contextLines = 0;
    if (values.profile !== undefined) {
      if (values['learn-first'] !== undefined || values.alerts !== undefined) {
        throw new UsageError('--learn-first and --alerts learn a profile from the log: not with --profile');
      }
      const trust = parseTrust(values.trust);
      if (trust === undefined) throw new UsageError('missing --trust <did:key> (the operator key)');
      const loaded = await loadSignedProfile(values.profile, trust, io);
      profile = loaded.profile;
      io.stdout(`monitoring ${printable(path)} with profile ${loaded.hash}\n`);
    } else {
      const first = parseLearnFirst(values['learn-first']);
      if (first === undefined && !follow) {
        throw new UsageError(
          'missing --profile <profile.json> (or --learn-first <n>, or --follow, to learn from the log)',
        );
      }
      const decision = values.alerts;
      if (decision !== undefined && decision !== 'exclude' && decision !== 'include') {
        throw new UsageError(`--alerts expects exclude or include, got "${decision.slice(0, 40)}"`);
      }
      const learned = await learnFromHead(path, first, decision);
      profile = learned.profile;
      contextLines = learned.lines;
      io.stdout(
        `monitoring ${printable(path)} with an UNSIGNED profile learned from this log itself: ` +
          `its first ${learned.calls} call(s), lines 1-${learned.lines}; only what follows is scored\n`,
      );
    }
    const follower = followLog(path, { profile, follow, signal: io.signal, pollMs, contextLines });
    for await (const e of follower) {
      if (e.kind === 'invalid') {
        io.stdout(`!! line ${e.at.line}: ${printable(e.reason)}\n`);
      } else if (e.kind === 'rotated') {
        io.stdout('-- log rotated or truncated: reading the new file from its start\n');
      } else {
        const v = e.verdict;
        const mark = v.flagged ? 'FLAGGED' : 'alert';
        io.stdout(
          `${mark} #${e.at.seq ?? '?'} ${printable(e.at.ts ?? '')} ${printable(e.agent)} ${printable(e.tool)} score ${v.score} call ${printable(e.callId)}\n`,
        );
        for (const a of v.alerts) io.stdout(`${alertLine(a)}\n`);
      }
    }
    const rows = follower.summary();
    io.stdout('\n');
    io.stdout(
      table([
        ['agent', 'calls', 'flagged', 'alerted', 'max score', 'features'],
        ...rows.map((r) => [
          r.agent,
          String(r.calls),
          String(r.flagged),
          String(r.alerted),
          String(r.maxScore),
          Object.entries(r.features)
            .map(([f, n]) => `${f}:${n}`)
            .join(' '),
        ]),
      ]),
    );
    return rows.some((r) => r.flagged > 0) ? EXIT_FAIL : EXIT_OK;
  },
};
