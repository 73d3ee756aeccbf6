// A signer process for signer.test.ts: loads a key file and signs only requests for the "search" tool.
import { fromUtf8 } from '@agentguard/statement';
import { loadKeyFile } from '../src/keystore/file.js';
import { serveSigner } from '../src/signer/server.js';

const identity = await loadKeyFile(process.argv[2] as string);
serveSigner({
  identity,
  authorize: ({ message }) => (JSON.parse(fromUtf8(message)) as { tool?: unknown }).tool === 'search',
});
