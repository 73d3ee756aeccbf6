import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createRevocationList } from '@agentguard/identity';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { loadKey, parseCount, parseDuration } from './credential-common.js';

const usage = `Usage: agentguard revoke --key <authority.jwk> --seq <n> [--jti <id>…] [--revoke-key <did:key>…]
         [--ttl <24h>] [--issuer-id <did>] [--out <file>] [--passphrase-env <VAR>]

Signs a revocation list: the complete set of revoked credential/delegation ids
(--jti) and keys (--revoke-key; every token signed by or issued to them is
revoked). --seq must be higher than the previous list's (verifiers refuse a
rollback). Verifiers stop trusting the list after --ttl (default 24h), so
publish a fresh one before then. Prints the list, or writes it to --out.
Ids are random base64url and may start with "-": give those as --jti=<id>.

Exit codes: 0 signed; 1 key or claims invalid; 2 usage error.
`;

/** `agentguard revoke` */
export const revokeCommand: Command = {
  words: ['revoke'],
  summary: 'Sign a revocation list of credential ids and keys',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      key: { type: 'string' },
      seq: { type: 'string' },
      jti: { type: 'string', multiple: true },
      'revoke-key': { type: 'string', multiple: true },
      ttl: { type: 'string' },
      'issuer-id': { type: 'string' },
      out: { type: 'string' },
      'passphrase-env': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const seq = parseCount(values.seq, '--seq');
    if (seq === undefined) throw new UsageError('missing --seq <n>');
    const issuer = await loadKey(values.key, io, values['passphrase-env']);
    const list = await createRevocationList({
      issuer,
      seq,
      revoked: values.jti ?? [],
      keys: values['revoke-key'] ?? [],
      ttlMs: parseDuration(values.ttl, 86_400_000, '--ttl'),
      ...(values['issuer-id'] === undefined ? {} : { issuerId: values['issuer-id'] }),
    });
    if (values.out === undefined) {
      io.stdout(`${list}\n`);
    } else {
      const path = resolve(io.cwd, values.out);
      await writeFile(path, `${list}\n`);
      io.stdout(
        `revocation list: ${path} (seq ${seq}, ${(values.jti ?? []).length} id(s), ${(values['revoke-key'] ?? []).length} key(s))\n`,
      );
    }
    return EXIT_OK;
  },
};
