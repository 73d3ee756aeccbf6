import { inspectCredential } from '@agentguard/identity';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK } from '../command.js';
import { onePositional } from './audit-common.js';
import { readToken } from './credential-common.js';
import { printable } from '../output.js';

const usage = `Usage: agentguard credential inspect <token|file>

Decodes a credential and prints its header and claims as JSON, after checking
its format and claims. The signature, issuer, validity window and revocation
are NOT checked: use "agentguard credential verify" for that.

Exit codes: 0 decoded; 1 malformed (the code says why); 2 usage error.
`;

/** `agentguard credential inspect` */
export const credentialInspectCommand: Command = {
  words: ['credential', 'inspect'],
  summary: 'Decode a credential without verifying it',
  usage,
  async run(argv, io) {
    const { positionals } = parseArgs(argv, {});
    const token = await readToken(onePositional(positionals, '<token|file>'), io);
    try {
      const { alg, typ, kid, claims } = inspectCredential(token);
      io.stdout(`${JSON.stringify({ header: { alg, typ, kid }, claims, verified: false }, null, 2)}\n`);
      return EXIT_OK;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      io.stdout(`MALFORMED ${typeof code === 'string' ? `${code}: ` : ''}${printable((error as Error).message)}\n`);
      return EXIT_FAIL;
    }
  },
};
