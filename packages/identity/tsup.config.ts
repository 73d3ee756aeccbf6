import { packageConfig } from '../../.config/tsup.base.js';

export default packageConfig({
  index: 'src/index.ts',
  node: 'src/node.ts',
  'signing-thread': 'src/signer/thread-worker.ts',
});
