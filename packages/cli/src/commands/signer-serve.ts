import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseJson } from '@agentguard/identity';
import { listenSigner, type SignerServer, serveSigner } from '@agentguard/identity/node';
import { createPolicyEngine } from '@agentguard/policy';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { createSignerAuthorizer } from '../signer-policy.js';
import { loadKey } from './credential-common.js';

const usage = `Usage: agentguard signer serve --key <file> (--socket <path> | --stdio)
         (--policy <file> | --allow-any) [--passphrase-env <VAR>] [--quiet]

Runs a signer process that holds the key and signs on behalf of an agent
process, which connects with connectSigner() from @agentguard/identity/node.
The key never leaves this process. Run it as a different user than the agent.

With --policy, it signs a call envelope only when that policy allows the call,
deciding on the signed statement itself (tool, agent, call id) and on the
arguments the agent sends along, accepted only when their digest matches the one
in the statement. It also signs audit-record hashes, so the agent's guard can
keep its log. Anything else is refused.

Without a policy the signer denies every request (fail closed). --allow-any
signs everything it is asked to: it keeps the key out of the agent process but
is no protection against a compromised agent obtaining signatures; use it only
until a policy is configured.

Stops on Ctrl-C (or when stdin closes with --stdio). It says on stderr which
key it holds and under which policy; --quiet leaves that out (a process that
spawns it over --stdio shares its stderr).

Exit codes: 0 stopped; 1 the key or socket failed; 2 usage error.
`;

/** `agentguard signer serve` */
export const signerServeCommand: Command = {
  words: ['signer', 'serve'],
  summary: 'Hold a key in a separate process and sign only what its policy allows',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      key: { type: 'string' },
      socket: { type: 'string' },
      stdio: { type: 'boolean' },
      'allow-any': { type: 'boolean' },
      policy: { type: 'string' },
      'passphrase-env': { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const say = (text: string) => {
      if (values.quiet !== true) io.stderr(text);
    };
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if ((values.socket === undefined) === (values.stdio !== true))
      throw new UsageError('give exactly one of --socket <path> or --stdio');
    const identity = await loadKey(values.key, io, values['passphrase-env']);
    const allowAny = values['allow-any'] === true;
    if (allowAny && values.policy !== undefined) throw new UsageError('give --policy or --allow-any, not both');
    const engine =
      values.policy === undefined
        ? undefined
        : createPolicyEngine(parseJson(await readFile(resolve(io.cwd, values.policy), 'utf8')));
    const authorize = engine === undefined ? () => allowAny : createSignerAuthorizer(engine);
    const mode =
      engine !== undefined
        ? ` (policy ${engine.hash})`
        : allowAny
          ? ' (allow-any: no policy)'
          : ' (no policy: denying all)';
    let server: SignerServer;
    if (values.socket !== undefined) {
      const path = resolve(io.cwd, values.socket);
      server = await listenSigner({ identity, authorize, path });
      say(`signer: ${identity.id} listening on ${path}${mode}\n`);
    } else {
      // stdout carries the protocol: all messages go to stderr.
      server = serveSigner({ identity, authorize });
      say(`signer: ${identity.id} on stdio${mode}\n`);
    }
    const stop = () => void server.close();
    io.signal.addEventListener('abort', stop, { once: true });
    await server.closed;
    io.signal.removeEventListener('abort', stop);
    return EXIT_OK;
  },
};
