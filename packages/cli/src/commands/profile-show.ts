import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { printable } from '../output.js';
import { onePositional, parseTrust } from './audit-common.js';
import { loadSignedProfile, table } from './monitor-common.js';

const usage = `Usage: agentguard profile show <profile.json> --trust <did:key>...

Verifies a signed profile (content hash, signature, trusted signer) and prints
what it holds: per agent, sessions, calls, tools, known values and flows.

Exit codes: 0 verified; 1 tampered or untrusted; 2 usage or unreadable file.
`;

/** `agentguard profile show p.json --trust <did>` */
export const profileShowCommand: Command = {
  words: ['profile', 'show'],
  summary: 'Verify a signed profile and print what it holds',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, { trust: { type: 'string', multiple: true } });
    const path = onePositional(positionals, '<profile.json>');
    const trust = parseTrust(values.trust);
    if (trust === undefined) throw new UsageError('missing --trust <did:key> (the operator key)');
    const { profile, hash, signer, json } = await loadSignedProfile(path, trust, io);
    const previous = (json as { previous?: unknown }).previous;
    io.stdout(`profile ${hash}\nsigned by ${signer}\n`);
    io.stdout(`previous ${typeof previous === 'string' ? previous : 'none'}\n`);
    const l = profile.learned;
    io.stdout(
      `learned from ${l.sessions} sessions, ${l.calls} calls; alerts ${l.alerts} (${l.alertSessions} sessions)\n\n`,
    );
    const rows: string[][] = [['agent', 'sessions', 'calls', 'tools', 'values', 'flows']];
    for (const [agent, a] of Object.entries(profile.agents).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
      const values = Object.values(a.values).reduce((n, list) => n + (list?.length ?? 0), 0);
      rows.push([
        agent,
        String(a.sessions),
        String(a.calls),
        String(Object.keys(a.tools).length),
        String(values),
        String(Object.keys(a.flows).length),
      ]);
    }
    io.stdout(table(rows));
    for (const [agent, a] of Object.entries(profile.agents)) {
      io.stdout(`\n${printable(agent)} tools: ${Object.keys(a.tools).map(printable).join(', ')}\n`);
    }
    return EXIT_OK;
  },
};
