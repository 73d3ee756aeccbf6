import { packageConfig } from '../../.config/tsup.base.js';

export default packageConfig({ bin: 'src/bin.ts' }, { platform: 'node', dts: false });
