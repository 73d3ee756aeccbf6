import { resolve } from 'node:path';
import { followLog } from '@agentguard/monitor/node';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { printable } from '../output.js';
import { onePositional, parseTrust } from './audit-common.js';
import { alertLine, loadSignedProfile, table } from './monitor-common.js';

const usage = `Usage: agentguard monitor <log> --profile <profile.json> --trust <did:key>... [--follow]

Scores every call recorded in an audit log against a signed profile (verified
first) and prints each call that raised alerts, with its evidence, as it is read;
then a summary table per agent. With --follow it keeps reading appended records
(rotation and truncation are picked up) until Ctrl-C, then prints the table.
It displays; it does not verify the log's chain (use "agentguard verify").

Options:
  --profile <file>    the signed profile (agentguard profile learn)
  --trust <did:key>   operator keys allowed to sign profiles
  -f, --follow        keep following the log

Exit codes: 0 no call flagged; 1 a call was flagged, or the profile does not verify; 2 usage.
`;

/** `agentguard monitor <log> --profile p.json --trust <did> [--follow]` */
export const monitorCommand: Command = {
  words: ['monitor'],
  summary: 'Score a (live) audit log against a signed profile; print alerts and a per-agent table',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      profile: { type: 'string' },
      trust: { type: 'string', multiple: true },
      follow: { type: 'boolean', short: 'f' },
      'poll-ms': { type: 'string' },
    });
    const path = resolve(io.cwd, onePositional(positionals));
    if (values.profile === undefined) throw new UsageError('missing --profile <profile.json>');
    const trust = parseTrust(values.trust);
    if (trust === undefined) throw new UsageError('missing --trust <did:key> (the operator key)');
    const pollMs = values['poll-ms'] === undefined ? 250 : Number(values['poll-ms']);
    if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) {
      throw new UsageError('--poll-ms expects an integer from 10 to 60000');
    }
    const { profile, hash } = await loadSignedProfile(values.profile, trust, io);
    io.stdout(`monitoring ${printable(path)} with profile ${hash}\n`);
    const follower = followLog(path, { profile, follow: values.follow === true, signal: io.signal, pollMs });
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
