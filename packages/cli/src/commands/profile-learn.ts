import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AuditRecord } from '@agentguard/audit';
import { learnProfile, type SignedProfile, sessionsFromAudit, signProfile } from '@agentguard/monitor';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { printable } from '../output.js';
import { loadLog, parseTrust } from './audit-common.js';
import { loadKey } from './credential-common.js';
import { alertedSessions, loadSignedProfile } from './monitor-common.js';

const usage = `Usage: agentguard profile learn <log>... --out <profile.json> --key <operator-key>
                                [--previous <profile.json>] [--alerts exclude|include] [--trust <did:key>]...

Learns a behavioural profile of every agent from audit logs (their call.requested
records; each log's hash chain is checked first) and signs it with the operator key.

A window whose calls raised monitor alerts (monitor.alert records) is a poisoning
risk: learning from it needs --alerts exclude (learn without those sessions) or
--alerts include (learn from them too); the decision is recorded in the profile.

Options:
  --out <file>              where to write the signed profile (JSON)
  --key <file>              the operator's key file (agentguard keygen)
  --passphrase-env <VAR>    environment variable holding the key's passphrase
  --previous <file>         the profile in force: the new one names its hash and must
                            stay within the drift bound (--max-drift, default 0.25)
  --max-drift <ratio>       the drift bound for --previous
  --trust <did:key>         keys whose --previous profile is accepted (default the --key)
  --alerts exclude|include  what to do with sessions that raised alerts

Exit codes: 0 written; 1 refused (alerts without a decision, drift, untrusted previous); 2 usage.
`;

/** `agentguard profile learn <log>... --out p.json --key k [--previous p0.json] [--alerts …]` */
export const profileLearnCommand: Command = {
  words: ['profile', 'learn'],
  summary: 'Learn and sign a behavioural profile from audit logs',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      out: { type: 'string' },
      key: { type: 'string' },
      'passphrase-env': { type: 'string' },
      previous: { type: 'string' },
      'max-drift': { type: 'string' },
      trust: { type: 'string', multiple: true },
      alerts: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('missing <log>');
    if (values.out === undefined) throw new UsageError('missing --out <profile.json>');
    const decision = values.alerts;
    if (decision !== undefined && decision !== 'exclude' && decision !== 'include') {
      throw new UsageError(`--alerts expects exclude or include, got "${decision.slice(0, 40)}"`);
    }
    const maxDrift = values['max-drift'] === undefined ? undefined : Number(values['max-drift']);
    if (maxDrift !== undefined && !(Number.isFinite(maxDrift) && maxDrift >= 0 && maxDrift <= 1)) {
      throw new UsageError('--max-drift expects a number from 0 to 1');
    }
    const key = await loadKey(values.key, io, values['passphrase-env']);
    const trust = parseTrust(values.trust) ?? [key.id];
    let previous: SignedProfile | undefined;
    if (values.previous !== undefined) {
      previous = (await loadSignedProfile(values.previous, trust, io)).json as SignedProfile;
    }
    const records: AuditRecord[] = [];
    for (const path of positionals) records.push(...(await loadLog(path, io)).records);
    const sessions = sessionsFromAudit(records);
    const profile = learnProfile(sessions, {
      alerted: alertedSessions(records),
      ...(decision === undefined ? {} : { onAlerts: decision }),
    });
    const signed = await signProfile(profile, key, {
      ...(previous === undefined ? {} : { previous }),
      ...(maxDrift === undefined ? {} : { maxDrift }),
    });
    const out = resolve(io.cwd, values.out);
    await writeFile(out, `${JSON.stringify(signed, null, 2)}\n`);
    const agents = Object.keys(profile.agents).length;
    io.stdout(
      `wrote ${printable(out)}: ${profile.learned.sessions} sessions, ${profile.learned.calls} calls, ${agents} agent(s); alerts ${profile.learned.alerts}\n`,
    );
    io.stdout(`hash ${signed.hash}\nsigner ${signed.signer}\n`);
    return EXIT_OK;
  },
};
