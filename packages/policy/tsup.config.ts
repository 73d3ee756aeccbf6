import { packageConfig } from '../../.config/tsup.base.js';

export default packageConfig({
  index: 'src/index.ts',
  redis: 'src/redis.ts',
  node: 'src/node.ts',
  internal: 'src/internal.ts',
});
