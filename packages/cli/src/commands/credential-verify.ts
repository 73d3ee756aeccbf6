import { createRevocationChecker, verifyChain, verifyCredential } from '@agentguard/identity';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, UsageError } from '../command.js';
import { printable } from '../output.js';
import { anchorsFrom, parseCount, readText, readToken } from './credential-common.js';

const usage = `Usage: agentguard credential verify <token|file> [<delegation>…] --trust <did:key>…
         [--revocation <file>] [--skew <ms>] [--max-depth <n>]

Verifies a credential against trusted authorities: format, algorithm, claims,
issuer key, Ed25519 signature, validity window (with bounded clock skew) and,
with --revocation, a signed revocation list. Given delegation links after the
credential, verifies the whole chain and prints the effective rights.

Exit codes: 0 valid; 1 invalid (the code says why); 2 usage error.
`;

/** `agentguard credential verify` */
export const credentialVerifyCommand: Command = {
  words: ['credential', 'verify'],
  summary: 'Verify a credential (or delegation chain) against trusted authorities',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      trust: { type: 'string', multiple: true },
      revocation: { type: 'string' },
      skew: { type: 'string' },
      'max-depth': { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('missing <token|file>');
    const anchors = anchorsFrom(values.trust);
    const tokens = await Promise.all(positionals.map((p) => readToken(p, io)));
    const skew = parseCount(values.skew, '--skew');
    if (skew !== undefined && skew > 300_000) throw new UsageError('--skew is at most 300000 ms');
    const maxDepth = parseCount(values['max-depth'], '--max-depth');
    const revocation =
      values.revocation === undefined
        ? undefined
        : createRevocationChecker({ anchors, source: await readText(values.revocation, io, 'revocation list') });
    const options = {
      anchors,
      ...(skew === undefined ? {} : { clockSkewMs: skew }),
      ...(revocation === undefined ? {} : { revocation }),
    };
    if (tokens.length === 1) {
      const r = await verifyCredential(tokens[0], options);
      if (!r.ok) {
        io.stdout(`INVALID ${r.code}: ${printable(r.reason)}\n`);
        return EXIT_FAIL;
      }
      const c = r.credential;
      io.stdout(`OK credential for ${c.subject}\n`);
      io.stdout(
        `name: ${printable(c.claims.name)}; owner: ${printable(c.claims.owner)}; environment: ${printable(c.claims.environment)}; tier: ${printable(c.riskTier)}\n`,
      );
      io.stdout(`issuer: ${printable(c.issuer)} (key ${printable(c.kid)})\n`);
      io.stdout(`expires: ${new Date(c.claims.exp * 1000).toISOString()}\n`);
      if (revocation === undefined) io.stdout('revocation: not checked (no --revocation list)\n');
      return EXIT_OK;
    }
    const r = await verifyChain(tokens, { ...options, ...(maxDepth === undefined ? {} : { maxDepth }) });
    if (!r.ok) {
      io.stdout(`INVALID ${r.code} at token ${r.index ?? 0}: ${printable(r.reason)}\n`);
      return EXIT_FAIL;
    }
    io.stdout(`OK chain of ${tokens.length - 1} delegation(s) to ${r.subject}\n`);
    io.stdout(`effective rights: ${JSON.stringify(r.rights)}\n`);
    if (revocation === undefined) io.stdout('revocation: not checked (no --revocation list)\n');
    return EXIT_OK;
  },
};
