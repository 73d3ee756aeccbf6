import { packageConfig } from '../../.config/tsup.base.js';

export default packageConfig({ index: 'src/index.ts' }, { platform: 'node' });
