import {
  type ArgConstraints,
  type DidKey,
  issueCredential,
  type JwsAlgorithm,
  type RiskTier,
} from '@agentguard/identity';
import { parseJson } from '@agentguard/statement';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { loadKey, parseCount, parseDuration } from './credential-common.js';

const usage = `Usage: agentguard credential issue --key <authority.jwk> --subject <did:key>
         --name <name> --owner <owner> --env <environment> --tier <low|medium|high>
         --tool <glob> [--tool <glob>…] [--scope <scope>…] [--args <json>]
         [--max-calls <n>] [--ttl <24h>] [--issuer-id <did>] [--alg <Ed25519|EdDSA>]
         [--passphrase-env <VAR>]

Issues an agent credential: a compact JWS signed by the authority key, binding
the agent's did:key to its name, owner, environment, risk tier and rights.
Prints the token on stdout.

  --args      argument constraints as JSON, e.g. '{"amount":{"max":100},"path":{"prefix":["/data"]}}'
  --ttl       validity (90s, 30m, 24h, 7d); default 24h
  --issuer-id the authority id written to "iss"; default the key's did:key
  --alg       the JWS "alg": Ed25519 (RFC 9864, default) or EdDSA (RFC 8037, for
              JOSE libraries that know only that name); verifiers accept both

Exit codes: 0 issued; 1 invalid claims or key; 2 usage error.
`;

// The JWS algorithm names issueCredential accepts; checked here so a typo is a usage error (exit 2).
const ALGORITHMS: readonly JwsAlgorithm[] = ['Ed25519', 'EdDSA'];

/** `agentguard credential issue` */
export const credentialIssueCommand: Command = {
  words: ['credential', 'issue'],
  summary: 'Issue an agent credential signed by an authority key',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      key: { type: 'string' },
      subject: { type: 'string' },
      name: { type: 'string' },
      owner: { type: 'string' },
      env: { type: 'string' },
      tier: { type: 'string' },
      tool: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      args: { type: 'string' },
      'max-calls': { type: 'string' },
      ttl: { type: 'string' },
      'issuer-id': { type: 'string' },
      alg: { type: 'string' },
      'passphrase-env': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    for (const flag of ['subject', 'name', 'owner', 'env', 'tier'] as const) {
      if (values[flag] === undefined) throw new UsageError(`missing --${flag}`);
    }
    if (!['low', 'medium', 'high'].includes(values.tier as string))
      throw new UsageError('--tier expects low, medium or high');
    if (values.tool === undefined || values.tool.length === 0) throw new UsageError('missing --tool <glob>');
    let args: ArgConstraints | undefined;
    if (values.args !== undefined) {
      try {
        args = parseJson(values.args) as unknown as ArgConstraints;
      } catch (cause) {
        throw new UsageError(`--args is not valid JSON: ${(cause as Error).message}`);
      }
    }
    const alg = values.alg;
    if (alg !== undefined && !ALGORITHMS.includes(alg as JwsAlgorithm)) {
      throw new UsageError(`--alg expects ${ALGORITHMS.join(' or ')}, got ${JSON.stringify(alg)}`);
    }
    const maxCalls = parseCount(values['max-calls'], '--max-calls');
    const issuer = await loadKey(values.key, io, values['passphrase-env']);
    const token = await issueCredential({
      issuer,
      subject: values.subject as DidKey,
      name: values.name as string,
      owner: values.owner as string,
      environment: values.env as string,
      riskTier: values.tier as RiskTier,
      tools: values.tool,
      scopes: values.scope ?? [],
      ttlMs: parseDuration(values.ttl, 86_400_000, '--ttl'),
      ...(args === undefined ? {} : { args }),
      ...(maxCalls === undefined ? {} : { maxCalls }),
      ...(values['issuer-id'] === undefined ? {} : { issuerId: values['issuer-id'] }),
      ...(alg === undefined ? {} : { alg: alg as JwsAlgorithm }),
    });
    io.stdout(`${token}\n`);
    return EXIT_OK;
  },
};
