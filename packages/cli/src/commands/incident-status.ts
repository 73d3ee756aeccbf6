import { resolve } from 'node:path';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { readBoundedText } from '../read-input.js';
import { MAX_STATUS_FILE_BYTES } from './incident-common.js';
import { verifyStatus } from '@agentguard/incident';

const usage = `Usage: agentguard incident status --status <status.json> --trust <did:key>… --channel <name> [--json]

Verifies the signed status document against the operator keys and prints it: sequence
number, issuer, validity and the measures in force.

Exit codes: 0 valid and current; 1 refused (forged, untrusted, expired, other channel,
malformed); 2 usage error or unreadable file.
`;

/** `agentguard incident status` */
export const incidentStatusCommand: Command = {
  words: ['incident', 'status'],
  summary: 'Verify and print the current control status',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      status: { type: 'string' },
      trust: { type: 'string', multiple: true },
      channel: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.status === undefined) throw new UsageError('missing --status <status.json>');
    if (values.trust === undefined || values.trust.length === 0) throw new UsageError('missing --trust <did:key>');
    if (values.channel === undefined) throw new UsageError('missing --channel <name>');
    const path = resolve(io.cwd, values.status);
    let text: string;
    try {
      text = await readBoundedText(path, MAX_STATUS_FILE_BYTES, 'status');
    } catch (cause) {
      if (cause instanceof InputError) throw cause;
      throw new InputError(`cannot read ${path}`);
    }
    let result: ReturnType<typeof verifyStatus>;
    try {
      result = verifyStatus(text, { trust: values.trust, channel: values.channel });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (!result.ok) {
      if (values.json === true)
        io.stdout(`${JSON.stringify({ ok: false, code: result.code, reason: result.reason })}\n`);
      io.stderr(`refused: ${result.code}: ${result.reason}\n`);
      return EXIT_FAIL;
    }
    const s = result.status;
    if (values.json === true) {
      io.stdout(`${JSON.stringify({ ok: true, status: s })}\n`);
      return EXIT_OK;
    }
    io.stdout(`status ${s.seq} on channel ${s.channel}, signed by ${s.issuer}\n`);
    io.stdout(`valid ${s.issuedAt} to ${s.expiresAt}\nhash ${s.hash}\n`);
    if (s.measures.length === 0) io.stdout('no measures in force\n');
    for (const m of s.measures) {
      const scope = m.scope.kind === 'all' ? 'all' : `${m.scope.kind}:${m.scope.value}`;
      io.stdout(`${m.kind} ${scope}${m.reason === undefined ? '' : ` (${m.reason})`}\n`);
    }
    return EXIT_OK;
  },
};
