import { resolve } from 'node:path';
import { createIdentity } from '@agentguard/identity';
import { saveKeyFile } from '@agentguard/identity/node';
import { parseArgs } from '../args.js';
import { type Command, EXIT_OK, UsageError } from '../command.js';
import { passphraseFrom } from './credential-common.js';

const usage = `Usage: agentguard keygen --out <file> [--passphrase-env <VAR>] [--name <name>]

Creates an Ed25519 key pair and writes it as an RFC 8037 private JWK to <file>,
created with mode 0600 and never overwriting an existing file. With
--passphrase-env, the key is encrypted (scrypt + AES-256-GCM) under the
passphrase held in that environment variable (not on the command line, where
other users can see it). Prints the did:key and key id; never the secret.

Exit codes: 0 written; 2 usage error, or the file exists or cannot be written.
`;

/** `agentguard keygen` */
export const keygenCommand: Command = {
  words: ['keygen'],
  summary: 'Create an Ed25519 key file (0600, optionally passphrase-encrypted)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      out: { type: 'string' },
      'passphrase-env': { type: 'string' },
      name: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.out === undefined) throw new UsageError('missing --out <file>');
    const passphrase = passphraseFrom(values['passphrase-env'], io);
    const identity = createIdentity(values.name === undefined ? {} : { name: values.name });
    const path = resolve(io.cwd, values.out);
    await saveKeyFile(path, identity, passphrase === undefined ? {} : { passphrase });
    io.stdout(`key: ${path}${passphrase === undefined ? '' : ' (encrypted)'}\n`);
    io.stdout(`did: ${identity.id}\n`);
    io.stdout(`kid: ${identity.keyId}\n`);
    return EXIT_OK;
  },
};
