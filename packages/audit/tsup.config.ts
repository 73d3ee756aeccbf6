import { packageConfig } from '../../.config/tsup.base.js';

export default packageConfig({
  index: 'src/index.ts',
  file: 'src/file.ts',
  otel: 'src/otel.ts',
  node: 'src/node.ts',
  'verify-worker': 'src/verify/worker.ts',
});
