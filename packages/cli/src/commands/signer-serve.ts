import { resolve } from 'node:path';
import { DEFAULT_CLOCK_SKEW_MS, DEFAULT_MAX_VALIDITY_MS, MAX_CLOCK_SKEW_MS, MAX_TTL_MS } from '@agentguard/attestation';
import { listenSigner, type SignerServer, serveSigner } from '@agentguard/identity/node';
import { createPolicyEngine, type PolicyEngine, parsePolicy } from '@agentguard/policy';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';
import { createSignerAuthorizer } from '../signer-policy.js';
import { signerPolicyProblems } from '../signer-policy-check.js';
import { loadKey, parseCount } from './credential-common.js';
import { readJsonFile } from './policy-common.js';

const usage = `Usage: agentguard signer serve --key <file> (--socket <path> | --stdio)
         (--policy <file> | --allow-any) [--skew <ms>] [--max-validity <ms>]
         [--passphrase-env <VAR>] [--quiet]

Runs a signer process that holds the key and signs on behalf of an agent
process, which connects with connectSigner() from @agentguard/identity/node.
The key never leaves this process. Run it as a different user than the agent.

With --policy, it signs a call envelope only when that policy allows the call,
deciding on the signed statement itself and on the arguments the agent sends
along, accepted only when their digest matches the one in the statement. It
signs only statements that name its own key as the agent, issued within --skew
of its clock (default 30000 ms, at most 300000) and valid for at most
--max-validity (default 300000 ms, at most 3600000). It decides at the
statement's issuedAt, and a call under a scheduled rule must be allowed for as
long as the envelope is valid. It also signs audit-record hashes, so the
agent's guard can keep its log. Anything else is refused.

The signer sees only the statement and the arguments, so it refuses to start
with a policy that consults anything else (tool tags or labels, session taint,
credential attributes, deny rules or limits on agent names, limits per session
or credential, mode "off"); the error names each rule and field. It enforces
monitored rules. A concurrency limit counts signatures being made, not calls
running (the signer cannot see a call end): the agent's guard enforces it.

Without a policy the signer denies every request (fail closed). --allow-any
signs everything it is asked to: it keeps the key out of the agent process but
is no protection against a compromised agent obtaining signatures; use it only
until a policy is configured.

Stops on Ctrl-C (or when stdin closes with --stdio). It says on stderr which
key it holds and under which policy; --quiet leaves that out (a process that
spawns it over --stdio shares its stderr).

Exit codes: 0 stopped; 1 the socket failed; 2 usage error, or a key or policy
that cannot be used.
`;

/**
 * Reads a signer policy (strict JSON, then the schema), refuses one the signer cannot enforce
 * (every problem named), and arms it; with a schedule, also a state-free copy without limits.
 */
async function loadSignerEngine(
  file: string,
  self: string,
  io: Parameters<Command['run']>[1],
): Promise<{ engine: PolicyEngine; stateless?: PolicyEngine }> {
  let path: string;
  let json: unknown;
  try {
    ({ path, json } = await readJsonFile(file, io, 'policy'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new InputError((error as Error).message);
  }
  let policy: ReturnType<typeof parsePolicy>;
  try {
    policy = parsePolicy(json);
  } catch (error) {
    const issues = (error as { issues?: readonly { path: string; message: string }[] }).issues ?? [];
    const detail = issues.map((i) => `\n  ${i.path}: ${i.message}`).join('');
    throw new InputError(`${path}: not a valid policy: ${(error as Error).message}${detail}`);
  }
  const problems = signerPolicyProblems(policy, self);
  if (problems.length > 0) {
    const lines = problems.map((p) => `\n  ${p.where}: "${p.field}": ${p.why}`).join('');
    throw new InputError(`${path}: the signer cannot enforce this policy:${lines}`);
  }
  try {
    const engine = createPolicyEngine(policy);
    if (!policy.rules.some((r) => r.schedule !== undefined)) return { engine };
    const { limits: _limits, ...rulesOnly } = policy;
    return { engine, stateless: createPolicyEngine(rulesOnly) };
  } catch (error) {
    throw new InputError(
      `${path}: ${(error as { code?: string }).code ?? (error as Error).name}: ${(error as Error).message}`,
    );
  }
}

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
      skew: { type: 'string' },
      'max-validity': { type: 'string' },
    });
    const say = (text: string) => {
      if (values.quiet !== true) io.stderr(text);
    };
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if ((values.socket === undefined) === (values.stdio !== true))
      throw new UsageError('give exactly one of --socket <path> or --stdio');
    const allowAny = values['allow-any'] === true;
    if (allowAny && values.policy !== undefined) throw new UsageError('give --policy or --allow-any, not both');
    const skew = parseCount(values.skew, '--skew') ?? DEFAULT_CLOCK_SKEW_MS;
    if (skew > MAX_CLOCK_SKEW_MS) throw new UsageError(`--skew is at most ${MAX_CLOCK_SKEW_MS} ms`);
    const maxValidity = parseCount(values['max-validity'], '--max-validity') ?? DEFAULT_MAX_VALIDITY_MS;
    if (maxValidity < 1 || maxValidity > MAX_TTL_MS)
      throw new UsageError(`--max-validity expects 1 to ${MAX_TTL_MS} ms`);
    const identity = await loadKey(values.key, io, values['passphrase-env']);
    const engine = values.policy === undefined ? undefined : await loadSignerEngine(values.policy, identity.id, io);
    const authorize =
      engine === undefined
        ? () => allowAny
        : createSignerAuthorizer({ ...engine, self: identity.id, clockSkewMs: skew, maxValidityMs: maxValidity });
    const mode =
      engine !== undefined
        ? ` (policy ${engine.engine.hash})`
        : allowAny
          ? ' (allow-any: no policy)'
          : ' (no policy: denying all)';
    const onDecision = (event: { readonly allowed: boolean; readonly reason?: string }) => {
      if (!event.allowed) say(`signer: refused: ${printable(event.reason ?? 'denied')}\n`);
    };
    let server: SignerServer;
    if (values.socket !== undefined) {
      const path = resolve(io.cwd, values.socket);
      server = await listenSigner({ identity, authorize, path, onDecision });
      say(`signer: ${identity.id} listening on ${path}${mode}\n`);
    } else {
      // stdout carries the protocol: all messages go to stderr.
      server = serveSigner({ identity, authorize, onDecision });
      say(`signer: ${identity.id} on stdio${mode}\n`);
    }
    const stop = () => void server.close();
    io.signal.addEventListener('abort', stop, { once: true });
    await server.closed;
    io.signal.removeEventListener('abort', stop);
    return EXIT_OK;
  },
};
